#define _GNU_SOURCE
#include "CSystemShims.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <pthread.h>
#include <string.h>
#include <spawn.h>

const int COFFRE_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int COFFRE_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int COFFRE_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
const uint32_t COFFRE_EPOLLIN = EPOLLIN;
const uint32_t COFFRE_EPOLLOUT = EPOLLOUT;
const uint32_t COFFRE_EPOLLERR = EPOLLERR;
const uint32_t COFFRE_EPOLLHUP = EPOLLHUP;
const uint32_t COFFRE_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t COFFRE_EPOLLET = EPOLLET;

int coffre_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int coffre_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int coffre_epoll_wait(int epfd, coffre_epoll_event *out, int maxevents, int timeout_ms) {
    struct epoll_event evs[256];
    if (maxevents > 256) maxevents = 256;
    int n = epoll_wait(epfd, evs, maxevents, timeout_ms);
    for (int i = 0; i < n; i++) {
        out[i].events = evs[i].events;
        out[i].data = evs[i].data.u64;
    }
    return n;
}

int coffre_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int coffre_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

ssize_t coffre_sendfile(int out_fd, int in_fd, off_t *offset, size_t count) {
    return sendfile(out_fd, in_fd, offset, count);
}

ssize_t coffre_send_more(int fd, const void *bytes, size_t count) {
    return send(fd, bytes, count, MSG_NOSIGNAL | MSG_MORE);
}

int coffre_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    return pthread_setname_np(pthread_self(), truncated);
}

int coffre_spawn_add_closefrom(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}

int coffre_spawn_add_chdir(void *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np((posix_spawn_file_actions_t *)actions, path);
}
