#ifndef COFFRE_CFILESYSTEMSHIMS_H
#define COFFRE_CFILESYSTEMSHIMS_H
/* Linux file-system calls that Glibc's Swift overlay does not expose (getdents64, renameat2,
 * inotify, sync_file_range, copy_file_range, syncfs), wrapped as plain C functions for the client's local file-system
 * side and the server's blob store. Each returns
 * what the system call returns; errno is left for the caller to read. */
#include <stdint.h>
#include <sys/types.h>

/** getdents64(2): fills buf with linux_dirent64 records of the directory open on fd. */
ssize_t coffre_getdents64(int fd, void *buf, size_t count);

/** renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing newpath. */
int coffre_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
/** renameat2(2) with RENAME_EXCHANGE: atomically swaps the two paths, which must both exist. */
int coffre_rename_exchange(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

/** inotify_init1(IN_NONBLOCK | IN_CLOEXEC). */
int coffre_inotify_init(void);
/** inotify_add_watch(2). */
int coffre_inotify_add_watch(int fd, const char *path, uint32_t mask);
/** inotify_rm_watch(2). */
int coffre_inotify_rm_watch(int fd, int wd);

/* Field offsets of struct linux_dirent64 and struct inotify_event, so that Swift parses the raw
 * buffers with explicit bounds checks instead of trusting a C struct layout. */
extern const size_t COFFRE_DIRENT64_RECLEN_OFFSET;
extern const size_t COFFRE_DIRENT64_TYPE_OFFSET;
extern const size_t COFFRE_DIRENT64_NAME_OFFSET;
extern const size_t COFFRE_INOTIFY_EVENT_SIZE;

/** sync_file_range(2) (glibc declares it only under _GNU_SOURCE, which Swift's Glibc lacks). */
int coffre_sync_file_range(int fd, int64_t offset, int64_t count, unsigned int flags);
extern const unsigned int COFFRE_SYNC_FILE_RANGE_WAIT_BEFORE;
extern const unsigned int COFFRE_SYNC_FILE_RANGE_WRITE;
/** copy_file_range(2) from fd_in at *off_in (advanced) to fd_out at its file offset (also
 * _GNU_SOURCE only). */
int64_t coffre_copy_file_range(int fd_in, int64_t *off_in, int fd_out, size_t len);
/** syncfs(2) (also _GNU_SOURCE only). */
int coffre_syncfs(int fd);
/** open(2)'s O_DIRECT (also _GNU_SOURCE only), for fcntl(2) F_SETFL. */
extern const int COFFRE_O_DIRECT;

/** utimensat(2)'s UTIME_OMIT: leave that timestamp unchanged. */
extern const long COFFRE_UTIME_OMIT;

extern const uint32_t COFFRE_IN_MODIFY;
extern const uint32_t COFFRE_IN_ATTRIB;
extern const uint32_t COFFRE_IN_CLOSE_WRITE;
extern const uint32_t COFFRE_IN_MOVED_FROM;
extern const uint32_t COFFRE_IN_MOVED_TO;
extern const uint32_t COFFRE_IN_CREATE;
extern const uint32_t COFFRE_IN_DELETE;
extern const uint32_t COFFRE_IN_DELETE_SELF;
extern const uint32_t COFFRE_IN_MOVE_SELF;
extern const uint32_t COFFRE_IN_UNMOUNT;
extern const uint32_t COFFRE_IN_Q_OVERFLOW;
extern const uint32_t COFFRE_IN_IGNORED;
extern const uint32_t COFFRE_IN_ONLYDIR;
extern const uint32_t COFFRE_IN_EXCL_UNLINK;
extern const uint32_t COFFRE_IN_ISDIR;

/** cachestat(2) (Linux 6.5) of the bytes [offset, offset + length) of the file open on fd: sets
 * *cached to how many of their pages are in the page cache and returns 0, or returns -1 (errno
 * ENOSYS where the kernel, or a seccomp filter, lacks the call). */
int coffre_cachestat(int fd, uint64_t offset, uint64_t length, uint64_t *cached);
/** preadv2(2) of one byte at offset with RWF_NOWAIT (Linux 4.14): -1 with errno EAGAIN when that
 * byte is not in the page cache (reading it would wait for the disk). */
ssize_t coffre_pread_byte_nowait(int fd, int64_t offset);

#endif
