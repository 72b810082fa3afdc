// File system round trip: make a temporary directory with a random name,
// create and write files, rename one, list the directory (sorted), read the
// files back, print everything (including the random directory name and the
// sizes), then remove it all.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int WriteFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

static int CompareNames(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

int main(void) {
  char dir[] = "/tmp/rewind-file-io-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  printf("dir: %s\n", dir);

  static const char* const kNames[] = {"alpha.txt", "beta.txt", "gamma.txt"};
  static const char* const kTexts[] = {"first file\n", "second file, a little longer\n",
                                       "third file\nwith two lines\n"};
  char path[512], other[512];
  for (int i = 0; i < 3; ++i) {
    snprintf(path, sizeof(path), "%s/%s", dir, kNames[i]);
    if (WriteFile(path, kTexts[i]) != 0) {
      perror(path);
      return 1;
    }
  }
  snprintf(path, sizeof(path), "%s/beta.txt", dir);
  snprintf(other, sizeof(other), "%s/delta.txt", dir);
  if (rename(path, other) != 0) {
    perror("rename");
    return 1;
  }
  printf("renamed beta.txt -> delta.txt\n");

  DIR* d = opendir(dir);
  if (!d) {
    perror("opendir");
    return 1;
  }
  char* names[16];
  int count = 0;
  struct dirent* entry;
  while ((entry = readdir(d)) != NULL && count < 16) {
    if (entry->d_name[0] == '.') continue;
    names[count++] = strdup(entry->d_name);
  }
  closedir(d);
  qsort(names, (size_t)count, sizeof(names[0]), CompareNames);

  for (int i = 0; i < count; ++i) {
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) != 0) {
      perror(path);
      return 1;
    }
    char buf[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0) close(fd);
    if (n < 0) {
      perror(path);
      return 1;
    }
    buf[n] = '\0';
    printf("file %s: %lld bytes, inode %llu\n", names[i], (long long)st.st_size,
           (unsigned long long)st.st_ino);
    printf("%s", buf);
    unlink(path);
    free(names[i]);
  }
  if (rmdir(dir) != 0) {
    perror("rmdir");
    return 1;
  }
  printf("removed %s\n", dir);
  return 0;
}
