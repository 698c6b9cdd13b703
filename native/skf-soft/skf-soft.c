/*
 * skf-soft: a software SKF library (GM/T 0016-2012, 智能密码钥匙密码应用接口) over
 * OpenSSL 3's SM2/SM3, standing in for a Chinese CA's USB key in tests.
 *
 * SoftHSM has no SM2, and vendors' SKF DLLs need hardware. This library exports the
 * SKF functions the assistant's provider calls, with their standard names and C
 * signatures, so the provider loads it exactly as it would a vendor's library.
 *
 * State lives in a directory named by env SKF_SOFT_DIR (one sub-directory per device;
 * deleting it "unplugs" the key):
 *
 *   <dev>/device.conf                  label=… serial=… manufacturer=… (key=value lines)
 *   <dev>/<app>/pin                    the user PIN (plain text: a test stand-in)
 *   <dev>/<app>/retries                "<remaining> <max>", rewritten on every try
 *   <dev>/<app>/files/<name>           application files (e.g. the seal image)
 *   <dev>/<app>/containers/<con>/sign.key|sign.cer|enc.key|enc.cer
 *                                      PEM private keys, DER certificates
 *
 * Only user-PIN (USER_TYPE) verification is implemented; the security state is
 * per application handle. SKF_ECCSignData signs the 32-byte e = SM3(Z || M) the
 * caller computed (GM/T 0016 §7.6.x convention): no Z is added here.
 *
 * A container whose sign.key is an RSA key is an RSA container (type 1);
 * SKF_RSASignData applies PKCS#1 v1.5 type-1 padding to the caller's bytes, a DER
 * DigestInfo (as CKM_RSA_PKCS does): the device hashes nothing. A key file that
 * is present but unreadable makes SKF_GetContainerType fail with SAR_FILEERR and
 * signing fail with SAR_KEYNOTFOUNTERR, like a key whose store is damaged.
 *
 * Build: native/skf-soft/build.sh  ->  native/skf-soft/build/libskfsoft.so
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define API __attribute__((visibility("default")))

/* GM/T 0016 base types: ULONG and BOOL are 32-bit on every platform. */
typedef uint32_t ULONG;
typedef int32_t BOOL;
typedef uint8_t BYTE;
typedef char *LPSTR;
typedef void *HANDLE;

/* Return codes (GM/T 0016-2012 appendix A). */
#define SAR_OK 0x00000000
#define SAR_FAIL 0x0A000001
#define SAR_NOTSUPPORTYETERR 0x0A000003
#define SAR_FILEERR 0x0A000004
#define SAR_INVALIDHANDLEERR 0x0A000005
#define SAR_INVALIDPARAMERR 0x0A000006
#define SAR_INDATALENERR 0x0A000010
#define SAR_KEYNOTFOUNTERR 0x0A00001B
#define SAR_CERTNOTFOUNTERR 0x0A00001C
#define SAR_BUFFER_TOO_SMALL 0x0A000020
#define SAR_DEVICE_REMOVED 0x0A000023
#define SAR_PIN_INCORRECT 0x0A000024
#define SAR_PIN_LOCKED 0x0A000025
#define SAR_USER_TYPE_INVALID 0x0A00002A
#define SAR_USER_NOT_LOGGED_IN 0x0A00002D
#define SAR_APPLICATION_NOT_EXISTS 0x0A00002E
#define SAR_FILE_NOT_EXIST 0x0A000031

#define USER_TYPE 1
#define CONTAINER_EMPTY 0
#define CONTAINER_RSA 1
#define CONTAINER_ECC 2
#define ECC_MAX_COORD_LEN 64 /* ECC_MAX_XCOORDINATE_BITS_LEN / 8 */
#define PKCS1_V15_OVERHEAD 11 /* 00 01 PS(>= 8 x FF) 00 */

/* Algorithm identifiers (GM/T 0006), ORed into DEVINFO's capability fields. */
#define SGD_RSA 0x00010000
#define SGD_SM2_1 0x00020100
#define SGD_SM3 0x00000001

#pragma pack(push, 1)
typedef struct { BYTE major, minor; } VERSION;
typedef struct {
  VERSION Version;
  char Manufacturer[64];
  char Issuer[64];
  char Label[32];
  char SerialNumber[32];
  VERSION HWVersion;
  VERSION FirmwareVersion;
  ULONG AlgSymCap, AlgAsymCap, AlgHashCap, DevAuthAlgId;
  ULONG TotalSpace, FreeSpace, MaxECCBufferSize, MaxBufferSize;
  BYTE Reserved[64];
} DEVINFO;
/* r and s right-aligned in 64-byte fields (room for 512-bit curves). */
typedef struct { BYTE r[ECC_MAX_COORD_LEN]; BYTE s[ECC_MAX_COORD_LEN]; } ECCSIGNATUREBLOB;
typedef struct { char FileName[32]; ULONG FileSize, ReadRights, WriteRights; } FILEATTRIBUTE;
#pragma pack(pop)

/* Handles are heap objects carrying their directory; a magic number catches stale ones. */
enum { MAGIC_DEV = 0x534b4644, MAGIC_APP = 0x534b4641, MAGIC_CON = 0x534b4643 };
typedef struct { uint32_t magic; char path[PATH_MAX]; } Dev;
typedef struct { uint32_t magic; Dev *dev; char path[PATH_MAX]; int loggedIn; } App;
typedef struct { uint32_t magic; App *app; char path[PATH_MAX]; } Con;

static const char *root_dir(void) { return getenv("SKF_SOFT_DIR"); }

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads a whole file into a malloc'd buffer (NUL-terminated for text use). */
static BYTE *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  BYTE *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = 0;
    *len = (size_t)n;
  }
  return buf;
}

/*
 * Writes a multi-string list ("a\0b\0\0") of the entries of `dir` for which
 * `keep(dir/entry)` holds, with the usual SKF size protocol: NULL buffer asks
 * for the size, a short buffer gives SAR_BUFFER_TOO_SMALL.
 */
static ULONG list_names(const char *dir, int (*keep)(const char *), LPSTR out, ULONG *size) {
  char buf[8192];
  size_t used = 0;
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char p[PATH_MAX];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      size_t n = strlen(e->d_name) + 1;
      if (!keep(p) || used + n + 1 > sizeof buf) continue;
      memcpy(buf + used, e->d_name, n);
      used += n;
    }
    closedir(d);
  }
  buf[used++] = 0;
  if (!size) return SAR_INVALIDPARAMERR;
  if (!out) {
    *size = (ULONG)used;
    return SAR_OK;
  }
  if (*size < used) {
    *size = (ULONG)used;
    return SAR_BUFFER_TOO_SMALL;
  }
  memcpy(out, buf, used);
  *size = (ULONG)used;
  return SAR_OK;
}

static int is_device(const char *p) {
  char conf[PATH_MAX];
  snprintf(conf, sizeof conf, "%s/device.conf", p);
  return is_file(conf);
}

static int is_app(const char *p) {
  char pin[PATH_MAX];
  snprintf(pin, sizeof pin, "%s/pin", p);
  return is_file(pin);
}

/* A device handle is usable while its directory exists (a removed key says so). */
static ULONG check_dev(Dev *dev) {
  if (!dev || dev->magic != MAGIC_DEV) return SAR_INVALIDHANDLEERR;
  return is_device(dev->path) ? SAR_OK : SAR_DEVICE_REMOVED;
}

static ULONG check_app(App *app) {
  if (!app || app->magic != MAGIC_APP) return SAR_INVALIDHANDLEERR;
  return check_dev(app->dev);
}

static ULONG check_con(Con *con) {
  if (!con || con->magic != MAGIC_CON) return SAR_INVALIDHANDLEERR;
  return check_app(con->app);
}

/* ---- devices ---- */

API ULONG SKF_EnumDev(BOOL bPresent, LPSTR szNameList, ULONG *pulSize) {
  (void)bPresent; /* every listed device is present */
  const char *root = root_dir();
  if (!root) return list_names("/nonexistent", is_device, szNameList, pulSize);
  return list_names(root, is_device, szNameList, pulSize);
}

API ULONG SKF_ConnectDev(LPSTR szName, HANDLE *phDev) {
  const char *root = root_dir();
  if (!root || !szName || !phDev || strchr(szName, '/')) return SAR_INVALIDPARAMERR;
  Dev *dev = calloc(1, sizeof *dev);
  if (!dev) return SAR_FAIL;
  dev->magic = MAGIC_DEV;
  snprintf(dev->path, sizeof dev->path, "%s/%s", root, szName);
  if (!is_device(dev->path)) {
    free(dev);
    return SAR_DEVICE_REMOVED;
  }
  *phDev = dev;
  return SAR_OK;
}

API ULONG SKF_DisConnectDev(HANDLE hDev) {
  Dev *dev = hDev;
  if (!dev || dev->magic != MAGIC_DEV) return SAR_INVALIDHANDLEERR;
  dev->magic = 0;
  free(dev);
  return SAR_OK;
}

/* Copies `value` of key `key` from device.conf (key=value lines) into a fixed field. */
static void conf_field(const char *conf, const char *key, char *field, size_t size) {
  size_t klen = strlen(key);
  for (const char *line = conf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
      const char *v = line + klen + 1;
      size_t n = strcspn(v, "\r\n");
      memcpy(field, v, n < size ? n : size);
      return;
    }
  }
}

API ULONG SKF_GetDevInfo(HANDLE hDev, DEVINFO *pDevInfo) {
  Dev *dev = hDev;
  ULONG rv = check_dev(dev);
  if (rv != SAR_OK) return rv;
  if (!pDevInfo) return SAR_INVALIDPARAMERR;
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/device.conf", dev->path);
  size_t len = 0;
  char *conf = (char *)read_all(p, &len);
  if (!conf) return SAR_FILEERR;
  memset(pDevInfo, 0, sizeof *pDevInfo);
  pDevInfo->Version.major = 1;
  pDevInfo->Version.minor = 0;
  conf_field(conf, "manufacturer", pDevInfo->Manufacturer, sizeof pDevInfo->Manufacturer);
  conf_field(conf, "issuer", pDevInfo->Issuer, sizeof pDevInfo->Issuer);
  conf_field(conf, "label", pDevInfo->Label, sizeof pDevInfo->Label);
  conf_field(conf, "serial", pDevInfo->SerialNumber, sizeof pDevInfo->SerialNumber);
  free(conf);
  pDevInfo->HWVersion.major = 1;
  pDevInfo->FirmwareVersion.major = 1;
  pDevInfo->AlgAsymCap = SGD_RSA | SGD_SM2_1;
  pDevInfo->AlgHashCap = SGD_SM3;
  pDevInfo->TotalSpace = 64 * 1024;
  pDevInfo->FreeSpace = 32 * 1024;
  pDevInfo->MaxECCBufferSize = 1024;
  pDevInfo->MaxBufferSize = 4096;
  return SAR_OK;
}

/* ---- applications and PIN ---- */

API ULONG SKF_EnumApplication(HANDLE hDev, LPSTR szAppName, ULONG *pulSize) {
  Dev *dev = hDev;
  ULONG rv = check_dev(dev);
  return rv != SAR_OK ? rv : list_names(dev->path, is_app, szAppName, pulSize);
}

API ULONG SKF_OpenApplication(HANDLE hDev, LPSTR szAppName, HANDLE *phApplication) {
  Dev *dev = hDev;
  ULONG rv = check_dev(dev);
  if (rv != SAR_OK) return rv;
  if (!szAppName || !phApplication || strchr(szAppName, '/')) return SAR_INVALIDPARAMERR;
  App *app = calloc(1, sizeof *app);
  if (!app) return SAR_FAIL;
  app->magic = MAGIC_APP;
  app->dev = dev;
  snprintf(app->path, sizeof app->path, "%s/%s", dev->path, szAppName);
  if (!is_app(app->path)) {
    free(app);
    return SAR_APPLICATION_NOT_EXISTS;
  }
  *phApplication = app;
  return SAR_OK;
}

API ULONG SKF_CloseApplication(HANDLE hApplication) {
  App *app = hApplication;
  if (!app || app->magic != MAGIC_APP) return SAR_INVALIDHANDLEERR;
  app->magic = 0;
  free(app);
  return SAR_OK;
}

/* The retry counter: "<remaining> <max>" (default 6 6 when the file is missing). */
static void read_retries(App *app, ULONG *remaining, ULONG *max) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/retries", app->path);
  unsigned r = 6, m = 6;
  FILE *f = fopen(p, "r");
  if (f) {
    if (fscanf(f, "%u %u", &r, &m) < 2) m = r > 6 ? r : 6;
    fclose(f);
  }
  *remaining = r;
  *max = m;
}

static void write_retries(App *app, ULONG remaining, ULONG max) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/retries", app->path);
  FILE *f = fopen(p, "w");
  if (!f) return;
  fprintf(f, "%u %u\n", remaining, max);
  fflush(f);
  fclose(f);
}

API ULONG SKF_GetPINInfo(HANDLE hApplication, ULONG ulPINType, ULONG *pulMaxRetryCount, ULONG *pulRemainRetryCount, BOOL *pbDefaultPin) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  if (ulPINType != USER_TYPE) return SAR_USER_TYPE_INVALID;
  if (!pulMaxRetryCount || !pulRemainRetryCount) return SAR_INVALIDPARAMERR;
  read_retries(app, pulRemainRetryCount, pulMaxRetryCount);
  if (pbDefaultPin) *pbDefaultPin = 0;
  return SAR_OK;
}

/*
 * A wrong PIN lowers the persisted counter and reports what is left; at 0 the
 * PIN is locked and never compared again. A right PIN resets the counter.
 */
API ULONG SKF_VerifyPIN(HANDLE hApplication, ULONG ulPINType, LPSTR szPIN, ULONG *pulRetryCount) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  if (ulPINType != USER_TYPE) return SAR_USER_TYPE_INVALID;
  if (!szPIN) return SAR_INVALIDPARAMERR;
  ULONG remaining, max;
  read_retries(app, &remaining, &max);
  if (pulRetryCount) *pulRetryCount = remaining;
  if (remaining == 0) return SAR_PIN_LOCKED;
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/pin", app->path);
  size_t len = 0;
  char *pin = (char *)read_all(p, &len);
  if (!pin) return SAR_FILEERR;
  pin[strcspn(pin, "\r\n")] = 0;
  int ok = strcmp(pin, szPIN) == 0;
  memset(pin, 0, len);
  free(pin);
  if (!ok) {
    remaining--;
    write_retries(app, remaining, max);
    if (pulRetryCount) *pulRetryCount = remaining;
    return remaining == 0 ? SAR_PIN_LOCKED : SAR_PIN_INCORRECT;
  }
  write_retries(app, max, max);
  if (pulRetryCount) *pulRetryCount = max;
  app->loggedIn = 1;
  return SAR_OK;
}

API ULONG SKF_ClearSecureState(HANDLE hApplication) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  app->loggedIn = 0;
  return SAR_OK;
}

/* ---- files (the seal image) ---- */

static int is_regular(const char *p) { return is_file(p); }

API ULONG SKF_EnumFiles(HANDLE hApplication, LPSTR szFileList, ULONG *pulSize) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/files", app->path);
  return list_names(dir, is_regular, szFileList, pulSize);
}

static int file_path(App *app, const char *name, char *out, size_t size) {
  if (!name || strchr(name, '/') || strlen(name) >= 32) return 0;
  snprintf(out, size, "%s/files/%s", app->path, name);
  return is_file(out);
}

API ULONG SKF_GetFileInfo(HANDLE hApplication, LPSTR szFileName, FILEATTRIBUTE *pFileInfo) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  char p[PATH_MAX];
  if (!pFileInfo) return SAR_INVALIDPARAMERR;
  if (!file_path(app, szFileName, p, sizeof p)) return SAR_FILE_NOT_EXIST;
  struct stat st;
  stat(p, &st);
  memset(pFileInfo, 0, sizeof *pFileInfo);
  strncpy(pFileInfo->FileName, szFileName, sizeof pFileInfo->FileName - 1);
  pFileInfo->FileSize = (ULONG)st.st_size;
  pFileInfo->ReadRights = 0xff; /* SECURE_ANYONE_ACCOUNT */
  pFileInfo->WriteRights = 0x10; /* SECURE_USER_ACCOUNT */
  return SAR_OK;
}

API ULONG SKF_ReadFile(HANDLE hApplication, LPSTR szFileName, ULONG ulOffset, ULONG ulSize, BYTE *pbOutData, ULONG *pulOutLen) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  char p[PATH_MAX];
  if (!pulOutLen) return SAR_INVALIDPARAMERR;
  if (!file_path(app, szFileName, p, sizeof p)) return SAR_FILE_NOT_EXIST;
  size_t len = 0;
  BYTE *data = read_all(p, &len);
  if (!data) return SAR_FILEERR;
  size_t n = ulOffset >= len ? 0 : len - ulOffset;
  if (n > ulSize) n = ulSize;
  if (pbOutData) memcpy(pbOutData, data + (ulOffset < len ? ulOffset : len), n);
  *pulOutLen = (ULONG)n;
  free(data);
  return SAR_OK;
}

/* ---- containers, certificates, signing ---- */

static int is_container(const char *p) { return is_dir(p); }

API ULONG SKF_EnumContainer(HANDLE hApplication, LPSTR szContainerName, ULONG *pulSize) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/containers", app->path);
  return list_names(dir, is_container, szContainerName, pulSize);
}

API ULONG SKF_OpenContainer(HANDLE hApplication, LPSTR szContainerName, HANDLE *phContainer) {
  App *app = hApplication;
  ULONG rv = check_app(app);
  if (rv != SAR_OK) return rv;
  if (!szContainerName || !phContainer || strchr(szContainerName, '/')) return SAR_INVALIDPARAMERR;
  Con *con = calloc(1, sizeof *con);
  if (!con) return SAR_FAIL;
  con->magic = MAGIC_CON;
  con->app = app;
  snprintf(con->path, sizeof con->path, "%s/containers/%s", app->path, szContainerName);
  if (!is_dir(con->path)) {
    free(con);
    return SAR_INVALIDPARAMERR;
  }
  *phContainer = con;
  return SAR_OK;
}

API ULONG SKF_CloseContainer(HANDLE hContainer) {
  Con *con = hContainer;
  if (!con || con->magic != MAGIC_CON) return SAR_INVALIDHANDLEERR;
  con->magic = 0;
  free(con);
  return SAR_OK;
}

/*
 * Loads "<container>/<which>.key" (PEM, any format OpenSSL reads). NULL when the
 * file is missing or unreadable; *damaged (if given) tells the second case apart.
 */
static EVP_PKEY *load_key(Con *con, const char *which, int *damaged) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s.key", con->path, which);
  if (damaged) *damaged = 0;
  FILE *f = fopen(p, "r");
  if (!f) return NULL;
  EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  if (!key) {
    ERR_clear_error(); /* leave no stale OpenSSL error to a later call */
    if (damaged) *damaged = 1;
  }
  return key;
}

/* The container type follows its signing key (else its encryption key). */
API ULONG SKF_GetContainerType(HANDLE hContainer, ULONG *pulContainerType) {
  Con *con = hContainer;
  ULONG rv = check_con(con);
  if (rv != SAR_OK) return rv;
  if (!pulContainerType) return SAR_INVALIDPARAMERR;
  int damaged = 0;
  EVP_PKEY *key = load_key(con, "sign", &damaged);
  if (!key && damaged) return SAR_FILEERR;
  if (!key) key = load_key(con, "enc", &damaged);
  if (!key && damaged) return SAR_FILEERR;
  *pulContainerType = !key ? CONTAINER_EMPTY : EVP_PKEY_is_a(key, "RSA") ? CONTAINER_RSA : CONTAINER_ECC;
  EVP_PKEY_free(key);
  return SAR_OK;
}

API ULONG SKF_ExportCertificate(HANDLE hContainer, BOOL bSignFlag, BYTE *pbCert, ULONG *pulCertLen) {
  Con *con = hContainer;
  ULONG rv = check_con(con);
  if (rv != SAR_OK) return rv;
  if (!pulCertLen) return SAR_INVALIDPARAMERR;
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s.cer", con->path, bSignFlag ? "sign" : "enc");
  size_t len = 0;
  BYTE *der = read_all(p, &len);
  if (!der) return SAR_CERTNOTFOUNTERR;
  if (!pbCert) rv = SAR_OK;
  else if (*pulCertLen < len) rv = SAR_BUFFER_TOO_SMALL;
  else memcpy(pbCert, der, len);
  *pulCertLen = (ULONG)len;
  free(der);
  return rv;
}

/* Writes an unsigned big-endian BIGNUM right-aligned into a 64-byte field. */
static int put_coord(const BIGNUM *bn, BYTE field[ECC_MAX_COORD_LEN]) {
  memset(field, 0, ECC_MAX_COORD_LEN);
  return BN_bn2binpad(bn, field + ECC_MAX_COORD_LEN - 32, 32) == 32;
}

/*
 * The container's signing key when the user is logged in and the key is of
 * `type` ("SM2" or "RSA": an RSA container has no ECC signing key and the
 * reverse); else NULL with *rv set to the SAR code.
 */
static EVP_PKEY *signing_key(Con *con, const char *type, ULONG *rv) {
  if (!con->app->loggedIn) {
    *rv = SAR_USER_NOT_LOGGED_IN;
    return NULL;
  }
  EVP_PKEY *key = load_key(con, "sign", NULL);
  if (key && !EVP_PKEY_is_a(key, type)) {
    EVP_PKEY_free(key);
    key = NULL;
  }
  if (!key) *rv = SAR_KEYNOTFOUNTERR;
  return key;
}

/*
 * SM2 signature with the container's signing key over the 32-byte digest e
 * (already SM3(Z || M)). EVP_PKEY_sign on an SM2 key signs its input as e.
 */
API ULONG SKF_ECCSignData(HANDLE hContainer, BYTE *pbData, ULONG ulDataLen, ECCSIGNATUREBLOB *pSignature) {
  Con *con = hContainer;
  ULONG rv = check_con(con);
  if (rv != SAR_OK) return rv;
  if (!pbData || !pSignature) return SAR_INVALIDPARAMERR;
  if (ulDataLen != 32) return SAR_INDATALENERR;
  EVP_PKEY *key = signing_key(con, "SM2", &rv);
  if (!key) return rv;
  rv = SAR_FAIL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
  BYTE der[128];
  size_t derLen = sizeof der;
  if (ctx && EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_sign(ctx, der, &derLen, pbData, ulDataLen) > 0) {
    const BYTE *q = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)derLen);
    if (sig && put_coord(ECDSA_SIG_get0_r(sig), pSignature->r) && put_coord(ECDSA_SIG_get0_s(sig), pSignature->s)) rv = SAR_OK;
    ECDSA_SIG_free(sig);
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  return rv;
}

/*
 * RSA signature with the container's signing key: PKCS#1 v1.5 type-1 padding of
 * pbData (the caller's DER DigestInfo) and the private-key operation, giving
 * modulus-length bytes. Usual size protocol: NULL pbSignature asks for the
 * length, a short buffer gives SAR_BUFFER_TOO_SMALL with the length needed.
 */
API ULONG SKF_RSASignData(HANDLE hContainer, BYTE *pbData, ULONG ulDataLen, BYTE *pbSignature, ULONG *pulSignLen) {
  Con *con = hContainer;
  ULONG rv = check_con(con);
  if (rv != SAR_OK) return rv;
  if (!pbData || !pulSignLen) return SAR_INVALIDPARAMERR;
  EVP_PKEY *key = signing_key(con, "RSA", &rv);
  if (!key) return rv;
  size_t modLen = (size_t)EVP_PKEY_get_size(key);
  EVP_PKEY_CTX *ctx = NULL;
  if (ulDataLen == 0 || modLen < PKCS1_V15_OVERHEAD || ulDataLen > modLen - PKCS1_V15_OVERHEAD) {
    rv = SAR_INDATALENERR;
  } else if (!pbSignature) {
    *pulSignLen = (ULONG)modLen;
  } else if (*pulSignLen < modLen) {
    *pulSignLen = (ULONG)modLen;
    rv = SAR_BUFFER_TOO_SMALL;
  } else {
    /* No signature digest is set: OpenSSL pads and signs the input as given. */
    size_t sigLen = modLen;
    ctx = EVP_PKEY_CTX_new(key, NULL);
    rv = SAR_FAIL;
    if (ctx && EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
        EVP_PKEY_sign(ctx, pbSignature, &sigLen, pbData, ulDataLen) > 0) {
      *pulSignLen = (ULONG)sigLen;
      rv = SAR_OK;
    }
    if (rv != SAR_OK) ERR_clear_error();
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  return rv;
}
