/*
 * fileio.c — file system calls on a scratch directory given as argv[1]:
 * mkdir, open/write/read, pread/pwrite, lseek, fstat/stat, getdents (via
 * readdir), rename, ftruncate, dup/pipe, unlink, rmdir.
 *
 * The one thing to know: only values that do not depend on the host (sizes,
 * offsets, modes, names, return codes) are printed; the runner creates and
 * removes the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path_a[4096], path_b[4096], path_d[4096];

static void check(const char *what, long r)
{
    printf("%-10s %ld%s\n", what, r, r < 0 ? " (error)" : "");
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[16];
    int n = 0;
    struct dirent *e;
    if (!d) {
        printf("opendir failed errno=%d\n", errno);
        return;
    }
    while ((e = readdir(d)) && n < 16)
        names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    printf("dir:");
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    char buf[256];
    struct stat st;
    if (argc < 2) {
        fprintf(stderr, "usage: fileio DIR\n");
        return 2;
    }
    snprintf(path_d, sizeof(path_d), "%s/sub", argv[1]);
    snprintf(path_a, sizeof(path_a), "%s/sub/a.txt", argv[1]);
    snprintf(path_b, sizeof(path_b), "%s/sub/b.txt", argv[1]);

    check("mkdir", mkdir(path_d, 0755));
    int fd = open(path_a, O_RDWR | O_CREAT | O_TRUNC, 0640);
    printf("open ok=%d\n", fd >= 0);
    const char *msg = "hello, file system\nsecond line\n";
    check("write", write(fd, msg, strlen(msg)));
    check("lseek end", lseek(fd, 0, SEEK_END));
    check("lseek set", lseek(fd, 7, SEEK_SET));
    memset(buf, 0, sizeof(buf));
    check("read", read(fd, buf, 11));
    printf("data=[%s]\n", buf);
    check("pwrite", pwrite(fd, "XYZ", 3, 100));
    check("fstat", fstat(fd, &st));
    printf("size=%lld mode=%o reg=%d\n", (long long)st.st_size, st.st_mode & 07777,
           S_ISREG(st.st_mode));
    memset(buf, 1, sizeof(buf));
    check("pread", pread(fd, buf, 10, 95));
    printf("hole bytes: %d %d %d %d %d %c\n", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5]);
    check("ftruncate", ftruncate(fd, 5));
    check("lseek cur", lseek(fd, 0, SEEK_CUR));
    check("close", close(fd));
    check("stat", stat(path_a, &st));
    printf("size after truncate=%lld\n", (long long)st.st_size);
    check("rename", rename(path_a, path_b));
    check("stat old", stat(path_a, &st) == 0 ? 0 : -errno);
    list_dir(path_d);

    int p[2];
    check("pipe", pipe(p));
    check("pipe write", write(p[1], "through a pipe", 14));
    int d2 = dup(p[0]);
    memset(buf, 0, sizeof(buf));
    check("pipe read", read(d2, buf, sizeof(buf) - 1));
    printf("pipe data=[%s]\n", buf);
    close(p[0]);
    close(p[1]);
    close(d2);

    FILE *f = fopen(path_b, "a+");
    fprintf(f, "appended %d\n", 12345);
    rewind(f);
    while (fgets(buf, sizeof(buf), f))
        printf("line: %s", buf);
    printf("\n");
    fclose(f);

    check("open missing", open(path_a, O_RDONLY) < 0 ? -errno : 0);
    check("unlink", unlink(path_b));
    check("rmdir", rmdir(path_d));
    check("rmdir again", rmdir(path_d) == 0 ? 0 : -errno);
    return 0;
}
