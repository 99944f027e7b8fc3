#define _GNU_SOURCE
#include "CFileSystemShims.h"
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t coffre_getdents64(int fd, void *buf, size_t count) { return getdents64(fd, buf, count); }

int coffre_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return renameat2(olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE);
}

int coffre_rename_exchange(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return renameat2(olddirfd, oldpath, newdirfd, newpath, RENAME_EXCHANGE);
}

int coffre_sync_file_range(int fd, int64_t offset, int64_t count, unsigned int flags) {
    return sync_file_range(fd, offset, count, flags);
}
const unsigned int COFFRE_SYNC_FILE_RANGE_WAIT_BEFORE = SYNC_FILE_RANGE_WAIT_BEFORE;
const unsigned int COFFRE_SYNC_FILE_RANGE_WRITE = SYNC_FILE_RANGE_WRITE;
int64_t coffre_copy_file_range(int fd_in, int64_t *off_in, int fd_out, size_t len) {
    loff_t offset = *off_in;
    ssize_t copied = copy_file_range(fd_in, &offset, fd_out, NULL, len, 0);
    *off_in = offset;
    return copied;
}
int coffre_syncfs(int fd) { return syncfs(fd); }
const int COFFRE_O_DIRECT = O_DIRECT;

int coffre_inotify_init(void) { return inotify_init1(IN_NONBLOCK | IN_CLOEXEC); }
int coffre_inotify_add_watch(int fd, const char *path, uint32_t mask) { return inotify_add_watch(fd, path, mask); }
int coffre_inotify_rm_watch(int fd, int wd) { return inotify_rm_watch(fd, wd); }

/* getdents64(2) documents struct linux_dirent64 as d_ino, d_off, d_reclen, d_type, d_name;
 * glibc's struct dirent64 has the same layout. */
const size_t COFFRE_DIRENT64_RECLEN_OFFSET = offsetof(struct dirent64, d_reclen);
const size_t COFFRE_DIRENT64_TYPE_OFFSET = offsetof(struct dirent64, d_type);
const size_t COFFRE_DIRENT64_NAME_OFFSET = offsetof(struct dirent64, d_name);
const size_t COFFRE_INOTIFY_EVENT_SIZE = sizeof(struct inotify_event);

const long COFFRE_UTIME_OMIT = UTIME_OMIT;

const uint32_t COFFRE_IN_MODIFY = IN_MODIFY;
const uint32_t COFFRE_IN_ATTRIB = IN_ATTRIB;
const uint32_t COFFRE_IN_CLOSE_WRITE = IN_CLOSE_WRITE;
const uint32_t COFFRE_IN_MOVED_FROM = IN_MOVED_FROM;
const uint32_t COFFRE_IN_MOVED_TO = IN_MOVED_TO;
const uint32_t COFFRE_IN_CREATE = IN_CREATE;
const uint32_t COFFRE_IN_DELETE = IN_DELETE;
const uint32_t COFFRE_IN_DELETE_SELF = IN_DELETE_SELF;
const uint32_t COFFRE_IN_MOVE_SELF = IN_MOVE_SELF;
const uint32_t COFFRE_IN_UNMOUNT = IN_UNMOUNT;
const uint32_t COFFRE_IN_Q_OVERFLOW = IN_Q_OVERFLOW;
const uint32_t COFFRE_IN_IGNORED = IN_IGNORED;
const uint32_t COFFRE_IN_ONLYDIR = IN_ONLYDIR;
const uint32_t COFFRE_IN_EXCL_UNLINK = IN_EXCL_UNLINK;
const uint32_t COFFRE_IN_ISDIR = IN_ISDIR;

/* cachestat(2): include/uapi/linux/mman.h defines the two structures; the call's number is 451
 * on every architecture (the unified table). */
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
struct coffre_cachestat_range { uint64_t off; uint64_t len; };
struct coffre_cachestat { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };
int coffre_cachestat(int fd, uint64_t offset, uint64_t length, uint64_t *cached) {
    struct coffre_cachestat_range range = { offset, length };
    struct coffre_cachestat status = { 0 };
    if (syscall(SYS_cachestat, fd, &range, &status, 0) != 0) return -1;
    *cached = status.nr_cache;
    return 0;
}

ssize_t coffre_pread_byte_nowait(int fd, int64_t offset) {
    unsigned char byte;
    struct iovec vector = { &byte, 1 };
    return preadv2(fd, &vector, 1, offset, RWF_NOWAIT);
}
