/* SPDX-License-Identifier: MIT */
/*
 * The version three ways, which must agree: the header's macros
 * (GREEN_VERSION*), the library's answers at run time (green_version(),
 * green_version_string()), and the library file that is actually loaded:
 * its name libgreen.so.MAJOR.MINOR.PATCH and its DT_SONAME
 * libgreen.so.MAJOR, read from the file's dynamic section as
 * `readelf -d` shows it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "green.h"

_Static_assert(GREEN_VERSION == GREEN_VERSION_MAJOR * 10000 +
                                    GREEN_VERSION_MINOR * 100 +
                                    GREEN_VERSION_PATCH,
               "GREEN_VERSION is major * 10000 + minor * 100 + patch");
_Static_assert(GREEN_VERSION_MINOR < 100 && GREEN_VERSION_PATCH < 100,
               "minor and patch must fit GREEN_VERSION's two digits");

static int failed;

#define EXPECT_STR(what, got, want)                                           \
    do {                                                                      \
        const char *g_ = (got), *w_ = (want);                                 \
        if (!g_ || strcmp(g_, w_) != 0) {                                     \
            fprintf(stderr, "FAIL: %s is \"%s\", expected \"%s\"\n", what,    \
                    g_ ? g_ : "(null)", w_);                                  \
            failed = 1;                                                       \
        } else {                                                              \
            printf("ok: %s is \"%s\"\n", what, g_);                           \
        }                                                                     \
    } while (0)

/* The DT_SONAME of an ELF file of this process's class, or NULL. */
static char *elf_soname(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(ElfW(Ehdr))) {
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return NULL;

    char *soname = NULL;
    const ElfW(Ehdr) *eh = (const void *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_phoff + (size_t)eh->e_phnum * sizeof(ElfW(Phdr)) > size)
        goto out;
    const ElfW(Phdr) *ph = (const void *)(base + eh->e_phoff);

    /* The dynamic section, and vaddr -> file offset through PT_LOAD. */
    const ElfW(Dyn) *dyn = NULL;
    size_t ndyn = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_DYNAMIC && ph[i].p_offset + ph[i].p_filesz <= size) {
            dyn = (const void *)(base + ph[i].p_offset);
            ndyn = ph[i].p_filesz / sizeof(ElfW(Dyn));
        }
    }
    if (!dyn)
        goto out;
    ElfW(Addr) strtab = 0;
    ElfW(Xword) soname_off = (ElfW(Xword))-1;
    for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
        if (dyn[i].d_tag == DT_STRTAB)
            strtab = dyn[i].d_un.d_ptr;
        else if (dyn[i].d_tag == DT_SONAME)
            soname_off = dyn[i].d_un.d_val;
    }
    if (!strtab || soname_off == (ElfW(Xword))-1)
        goto out;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && strtab >= ph[i].p_vaddr &&
            strtab < ph[i].p_vaddr + ph[i].p_filesz) {
            size_t off = ph[i].p_offset + (strtab - ph[i].p_vaddr) + soname_off;
            if (off < size)
                soname = strndup((const char *)base + off, size - off);
            break;
        }
    }
out:
    munmap((void *)base, size);
    return soname;
}

int main(void)
{
    char want[64], buf[PATH_MAX];

    /* run time against the header */
    if (green_version() != GREEN_VERSION) {
        fprintf(stderr, "FAIL: green_version() is %d, GREEN_VERSION %d\n",
                green_version(), GREEN_VERSION);
        failed = 1;
    } else {
        printf("ok: green_version() is GREEN_VERSION (%d)\n", GREEN_VERSION);
    }
    EXPECT_STR("green_version_string()", green_version_string(),
               GREEN_VERSION_STRING);
    snprintf(want, sizeof want, "%d.%d.%d", GREEN_VERSION_MAJOR,
             GREEN_VERSION_MINOR, GREEN_VERSION_PATCH);
    EXPECT_STR("GREEN_VERSION_STRING", GREEN_VERSION_STRING, want);

    /* the library file actually loaded */
    Dl_info info;
    if (!dladdr((void *)green_version, &info) || !info.dli_fname) {
        fprintf(stderr, "FAIL: dladdr(green_version) found no library\n");
        return 1;
    }
    printf("loaded: %s\n", info.dli_fname);

    /* The program asked for the SONAME (its DT_NEEDED), so that is the
     * name it was found under. */
    snprintf(want, sizeof want, "libgreen.so.%d", GREEN_VERSION_MAJOR);
    snprintf(buf, sizeof buf, "%s", info.dli_fname);
    const char *slash = strrchr(buf, '/');
    EXPECT_STR("the name the library was loaded under",
               slash ? slash + 1 : buf, want);

    char *soname = elf_soname(info.dli_fname);
    EXPECT_STR("its DT_SONAME", soname, want);
    free(soname);

    /* the real file: libgreen.so.MAJOR.MINOR.PATCH */
    if (!realpath(info.dli_fname, buf)) {
        fprintf(stderr, "FAIL: realpath(%s)\n", info.dli_fname);
        return 1;
    }
    snprintf(want, sizeof want, "libgreen.so.%d.%d.%d", GREEN_VERSION_MAJOR,
             GREEN_VERSION_MINOR, GREEN_VERSION_PATCH);
    slash = strrchr(buf, '/');
    EXPECT_STR("its file name", slash ? slash + 1 : buf, want);

    if (failed)
        return 1;
    printf("PASS: header, run time, file name and SONAME agree on %s\n",
           GREEN_VERSION_STRING);
    return 0;
}
