/*
 * code-buffer.c — the memory that holds generated host code, and the only
 * file that knows about W^X.
 *
 * The one thing to know: the buffer is one memfd mapped twice, once
 * read+write (where backends write code) and once read+execute (where code
 * runs); no page is ever writable and executable through the same address.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mimic/exec.h"

CodeBuffer code_buffer;

int code_buffer_init(size_t size)
{
    int fd = memfd_create("mimic-code", MFD_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void *rx = rw == MAP_FAILED ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (rw == MAP_FAILED || rx == MAP_FAILED) {
        if (rw != MAP_FAILED) {
            munmap(rw, size);
        }
        errno = e;
        return -1;
    }
    code_buffer.rw = rw;
    code_buffer.rx = rx;
    code_buffer.size = size;
    code_buffer.used = 0;
    return 0;
}

/* In a child made by fork(): the memfd is shared with the parent, so new
 * translations would overwrite each other's code. Give the child its own
 * copy, mapped at the same two addresses so every TB pointer stays valid. */
int code_buffer_after_fork(void)
{
    if (code_buffer.size == 0) {
        return 0; /* no code buffer (the interpreter backend) */
    }
    int fd = memfd_create("mimic-code", MFD_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    if (ftruncate(fd, (off_t)code_buffer.size) < 0) {
        close(fd);
        return -1;
    }
    for (size_t done = 0; done < code_buffer.used;) {
        ssize_t n = pwrite(fd, code_buffer.rx + done, code_buffer.used - done, (off_t)done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    void *rw = mmap(code_buffer.rw, code_buffer.size, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_FIXED, fd, 0);
    void *rx = mmap(code_buffer.rx, code_buffer.size, PROT_READ | PROT_EXEC,
                    MAP_SHARED | MAP_FIXED, fd, 0);
    close(fd);
    return rw == MAP_FAILED || rx == MAP_FAILED ? -1 : 0;
}
