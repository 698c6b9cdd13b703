/*
 * pin-guard: a PKCS#11 pass-through module that adds a user-PIN retry counter.
 *
 * SoftHSM2 never locks a user PIN; real Chinese USB keys lock after N wrong tries,
 * and the assistant's PIN dialog, error mapping and 环境检测 must be tested against
 * that behaviour. This module wraps the real one (env PIN_GUARD_MODULE, default
 * SoftHSM2) and overrides only C_Login, C_GetTokenInfo and C_InitPIN (an SO unlock
 * resets the counter, as on real keys). C_SetPIN passes through untouched.
 *
 * State: one text file per token, <PIN_GUARD_DIR>/<serial>.tries, holding the
 * retries left ("3"), optionally followed by "max=N" to override PIN_GUARD_MAX_TRIES
 * (default 6) for that token. A missing file means "max left". Without
 * PIN_GUARD_DIR the module is a pure pass-through.
 *
 * Build: native/pin-guard/build.sh  ->  native/pin-guard/build/libpinguard.so
 */
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Minimal PKCS#11 v2.40 types: enough to wrap a function list without a system header. */
typedef unsigned long CK_ULONG, CK_RV, CK_SLOT_ID, CK_SESSION_HANDLE, CK_USER_TYPE, CK_FLAGS;
typedef unsigned char CK_BYTE, CK_UTF8CHAR;
typedef void (*CK_GENERIC_FN)(void);
typedef struct { CK_BYTE major, minor; } CK_VERSION;

typedef struct {
  CK_UTF8CHAR label[32], manufacturerID[32], model[16];
  char serialNumber[16];
  CK_FLAGS flags;
  CK_ULONG ulMaxSessionCount, ulSessionCount, ulMaxRwSessionCount, ulRwSessionCount;
  CK_ULONG ulMaxPinLen, ulMinPinLen, ulTotalPublicMemory, ulFreePublicMemory;
  CK_ULONG ulTotalPrivateMemory, ulFreePrivateMemory;
  CK_VERSION hardwareVersion, firmwareVersion;
  char utcTime[16];
} CK_TOKEN_INFO;

typedef struct { CK_SLOT_ID slotID; CK_ULONG state; CK_FLAGS flags; CK_ULONG ulDeviceError; } CK_SESSION_INFO;

/* CK_FUNCTION_LIST is a version followed by 68 function pointers in spec order;
 * only the indexes we touch are named. */
#define FN_COUNT 68
#define IDX_GET_FUNCTION_LIST 3
#define IDX_GET_TOKEN_INFO 6
#define IDX_INIT_PIN 10
#define IDX_GET_SESSION_INFO 15
#define IDX_LOGIN 18
typedef struct { CK_VERSION version; CK_GENERIC_FN fn[FN_COUNT]; } CK_FUNCTION_LIST;

typedef CK_RV (*GetFunctionListFn)(CK_FUNCTION_LIST **);
typedef CK_RV (*GetTokenInfoFn)(CK_SLOT_ID, CK_TOKEN_INFO *);
typedef CK_RV (*GetSessionInfoFn)(CK_SESSION_HANDLE, CK_SESSION_INFO *);
typedef CK_RV (*InitPinFn)(CK_SESSION_HANDLE, CK_UTF8CHAR *, CK_ULONG);
typedef CK_RV (*LoginFn)(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR *, CK_ULONG);

#define CKR_OK 0x0UL
#define CKR_GENERAL_ERROR 0x5UL
#define CKR_PIN_INCORRECT 0xA0UL
#define CKR_PIN_LOCKED 0xA4UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKU_USER 1UL
#define CKF_USER_PIN_COUNT_LOW 0x10000UL
#define CKF_USER_PIN_FINAL_TRY 0x20000UL
#define CKF_USER_PIN_LOCKED 0x40000UL

static CK_FUNCTION_LIST *real;  /* the wrapped module's list, owned by it */
static CK_FUNCTION_LIST wrapped; /* our copy, handed to callers */

/* Serial numbers are space padded; file names must not carry padding or '/'. */
static int state_path(const CK_TOKEN_INFO *ti, char *out, size_t n) {
  const char *dir = getenv("PIN_GUARD_DIR");
  char serial[17];
  int len = 16;
  if (!dir || !*dir) return 0;
  memcpy(serial, ti->serialNumber, 16);
  while (len > 0 && (serial[len - 1] == ' ' || serial[len - 1] == '\0')) len--;
  serial[len] = '\0';
  for (int i = 0; i < len; i++) if (!isalnum((unsigned char)serial[i])) serial[i] = '_';
  snprintf(out, n, "%s/%s.tries", dir, serial);
  return 1;
}

static long env_max(void) {
  const char *s = getenv("PIN_GUARD_MAX_TRIES");
  long v = s ? strtol(s, NULL, 10) : 0;
  return v > 0 ? v : 6;
}

/* Reads retries left and max; returns 0 if the token is not guarded (no PIN_GUARD_DIR). */
static int load(const CK_TOKEN_INFO *ti, long *left, long *max, char *path, size_t n) {
  FILE *f;
  if (!state_path(ti, path, n)) return 0;
  *max = env_max();
  *left = -1;
  if ((f = fopen(path, "r")) != NULL) {
    char word[64];
    while (fscanf(f, "%63s", word) == 1) {
      if (strncmp(word, "max=", 4) == 0) *max = strtol(word + 4, NULL, 10);
      else if (*left < 0) *left = strtol(word, NULL, 10);
    }
    fclose(f);
  }
  if (*left < 0 || *left > *max) *left = *max;
  return 1;
}

static void save(const char *path, long left, long max) {
  FILE *f = fopen(path, "w");
  if (!f) return; /* a read-only state dir degrades to "never locks", like SoftHSM */
  if (max != env_max()) fprintf(f, "%ld max=%ld\n", left, max);
  else fprintf(f, "%ld\n", left);
  fclose(f);
}

static CK_RV guard_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO *ti) {
  long left, max;
  char path[4096];
  CK_RV rv = ((GetTokenInfoFn)real->fn[IDX_GET_TOKEN_INFO])(slot, ti);
  if (rv != CKR_OK || !load(ti, &left, &max, path, sizeof path)) return rv;
  /* The counter replaces SoftHSM's own flags, which only ever report COUNT_LOW. */
  ti->flags &= ~(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
  if (left < max) ti->flags |= CKF_USER_PIN_COUNT_LOW;
  if (left == 1) ti->flags |= CKF_USER_PIN_FINAL_TRY;
  if (left <= 0) ti->flags |= CKF_USER_PIN_LOCKED;
  return CKR_OK;
}

static CK_RV guard_Login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR *pin, CK_ULONG len) {
  LoginFn login = (LoginFn)real->fn[IDX_LOGIN];
  CK_SESSION_INFO si;
  CK_TOKEN_INFO ti;
  long left, max;
  char path[4096];
  CK_RV rv;
  if (user != CKU_USER) return login(s, user, pin, len);
  rv = ((GetSessionInfoFn)real->fn[IDX_GET_SESSION_INFO])(s, &si);
  if (rv != CKR_OK) return rv;
  rv = ((GetTokenInfoFn)real->fn[IDX_GET_TOKEN_INFO])(si.slotID, &ti);
  if (rv != CKR_OK) return rv;
  if (!load(&ti, &left, &max, path, sizeof path)) return login(s, user, pin, len);
  /* A locked key must not even see the PIN: a right PIN must not unlock it. */
  if (left <= 0) return CKR_PIN_LOCKED;
  rv = login(s, user, pin, len);
  if (rv == CKR_PIN_INCORRECT) save(path, left - 1, max);
  else if ((rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) && left != max) save(path, max, max);
  return rv;
}

/* The SO setting a new user PIN is how real keys are unlocked, so it resets the counter. */
static CK_RV guard_InitPIN(CK_SESSION_HANDLE s, CK_UTF8CHAR *pin, CK_ULONG len) {
  CK_SESSION_INFO si;
  CK_TOKEN_INFO ti;
  long left, max;
  char path[4096];
  CK_RV rv = ((InitPinFn)real->fn[IDX_INIT_PIN])(s, pin, len);
  if (rv != CKR_OK) return rv;
  if (((GetSessionInfoFn)real->fn[IDX_GET_SESSION_INFO])(s, &si) == CKR_OK &&
      ((GetTokenInfoFn)real->fn[IDX_GET_TOKEN_INFO])(si.slotID, &ti) == CKR_OK &&
      load(&ti, &left, &max, path, sizeof path))
    save(path, max, max);
  return rv;
}

static CK_RV guard_GetFunctionList(CK_FUNCTION_LIST **out);

static int load_real(void) {
  const char *name = getenv("PIN_GUARD_MODULE");
  void *h;
  GetFunctionListFn gfl;
  if (real) return 1;
  if (!name || !*name) name = "/usr/lib/softhsm/libsofthsm2.so";
  if (!(h = dlopen(name, RTLD_NOW | RTLD_LOCAL))) {
    fprintf(stderr, "pin-guard: cannot load %s: %s\n", name, dlerror());
    return 0;
  }
  gfl = (GetFunctionListFn)dlsym(h, "C_GetFunctionList");
  if (!gfl || gfl(&real) != CKR_OK || !real) { real = NULL; return 0; }
  wrapped = *real;
  wrapped.fn[IDX_GET_FUNCTION_LIST] = (CK_GENERIC_FN)guard_GetFunctionList;
  wrapped.fn[IDX_GET_TOKEN_INFO] = (CK_GENERIC_FN)guard_GetTokenInfo;
  wrapped.fn[IDX_LOGIN] = (CK_GENERIC_FN)guard_Login;
  wrapped.fn[IDX_INIT_PIN] = (CK_GENERIC_FN)guard_InitPIN;
  return 1;
}

static CK_RV guard_GetFunctionList(CK_FUNCTION_LIST **out) {
  if (!out) return 0x7UL; /* CKR_ARGUMENTS_BAD */
  if (!load_real()) return CKR_GENERAL_ERROR;
  *out = &wrapped;
  return CKR_OK;
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST **out) {
  return guard_GetFunctionList(out);
}
