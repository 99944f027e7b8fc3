#ifndef COFFRE_CSYSTEMSHIMS_H
#define COFFRE_CSYSTEMSHIMS_H
/* Linux system calls and constants that Glibc's Swift overlay does not expose
 * (epoll, accept4, eventfd, sendfile), wrapped as plain C functions. Each returns what the
 * system call returns; errno is left for the caller to read. */
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include "CFileSystemShims.h"

/** One readiness event: `events` is an EPOLL* mask, `data` the 64-bit cookie given to ctl. */
typedef struct coffre_epoll_event {
    uint32_t events;
    uint64_t data;
} coffre_epoll_event;

int coffre_epoll_create(void);
int coffre_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int coffre_epoll_wait(int epfd, coffre_epoll_event *events, int maxevents, int timeout_ms);

extern const int COFFRE_EPOLL_CTL_ADD;
extern const int COFFRE_EPOLL_CTL_MOD;
extern const int COFFRE_EPOLL_CTL_DEL;
extern const uint32_t COFFRE_EPOLLIN;
extern const uint32_t COFFRE_EPOLLOUT;
extern const uint32_t COFFRE_EPOLLERR;
extern const uint32_t COFFRE_EPOLLHUP;
extern const uint32_t COFFRE_EPOLLRDHUP;
/** EPOLLET: report a descriptor when its readiness changes, not while it lasts (epoll(7)). */
extern const uint32_t COFFRE_EPOLLET;

/** accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. */
int coffre_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len);
/** eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC). */
int coffre_eventfd(void);
/** sendfile(2): copies up to count bytes from in_fd at *offset to out_fd. */
ssize_t coffre_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);
/** send(2) with MSG_NOSIGNAL | MSG_MORE: the bytes wait for what the next call sends
 * (tcp(7), TCP_CORK for this call only). A C shim: naming the MSG_* constants from Swift in a
 * file that imports this module makes them this module's and hides them from Glibc users. */
ssize_t coffre_send_more(int fd, const void *bytes, size_t count);

/** Names the calling thread (pthread_setname_np(3)); the name is cut to 15 bytes. */
int coffre_set_thread_name(const char *name);

/* posix_spawn file actions that glibc declares only under _GNU_SOURCE (glibc 2.29 and 2.34);
 * `actions` is a posix_spawn_file_actions_t. Each returns 0 or an error number. */
/** posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `from` up. */
int coffre_spawn_add_closefrom(void *actions, int from);
/** posix_spawn_file_actions_addchdir_np: the child changes to `path` before exec. */
int coffre_spawn_add_chdir(void *actions, const char *path);

#endif
