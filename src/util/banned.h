#ifndef CW_BANNED_H
#define CW_BANNED_H
/*
 * Functions that are too easy to misuse: each becomes a compile error.
 * Use snprintf / cw_buf / memcpy with explicit lengths, strtol with
 * end-pointer checks, and gmtime_r / localtime_r instead.
 * Included last by util.h, after every system header it needs.
 */
#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef atoi
#define atoi(s) BANNED(atoi)

#endif
