/*
 * p11-sm2-shim: a PKCS#11 pass-through module that makes SoftHSM look like a Chinese
 * vendor's module with SM2 keys, for tests only.
 *
 * PKCS#11 has no SM2 constants and SoftHSM no SM2 mechanism. Vendors' modules expose
 * SM2 keys with a vendor-defined CKA_KEY_TYPE and sign with a vendor-defined mechanism;
 * the assistant learns both from its vendor table. This shim wraps a real module (env
 * P11_SM2_SHIM_MODULE, default SoftHSM2; the tests wrap pin-guard so PIN retry counting
 * stays) and changes only what SM2 needs:
 *
 *   - SM2 keys are stored in the wrapped module as CKK_EC keys with the SM2 curve OID
 *     (1.2.156.10197.1.301) in CKA_EC_PARAMS; SoftHSM accepts and keeps those. The
 *     private keys are stored with CKA_SENSITIVE false / CKA_EXTRACTABLE true so that
 *     this shim can read CKA_VALUE and sign with OpenSSL: acceptable for a test stand-in
 *     holding throw-away keys, never for real ones. Towards the caller the shim reports
 *     them as a vendor key would be: CKA_KEY_TYPE = P11_SM2_SHIM_KEY_TYPE (hex, or
 *     "CKK_EC" to leave it), CKA_VALUE sensitive, CKA_SENSITIVE true, CKA_EXTRACTABLE false.
 *   - C_FindObjectsInit maps the vendor key type in a template back to CKK_EC.
 *   - C_GetMechanismList / C_GetMechanismInfo add P11_SM2_SHIM_MECHANISM (hex, default
 *     0x80008104, CKM_SM2_SIGN of the 0x80008000 family: SM2 over a ready 32-byte e).
 *   - C_SignInit / C_Sign with that mechanism sign the 32-byte e with OpenSSL's SM2
 *     (EVP_PKEY_sign on an SM2 key signs its input as e, adding no Z), returning
 *     P11_SM2_SHIM_FORMAT "der" (SEQUENCE {r, s}, default) or "raw" (r || s, 64 bytes).
 *     The session must be logged in (CKR_USER_NOT_LOGGED_IN otherwise). Any other
 *     mechanism on an SM2 key is CKR_KEY_TYPE_INCONSISTENT, as on a real SM2 key.
 *   - C_GetInfo reports the manufacturer "CA-Assistant SM2 test shim", so the vendor
 *     table can also recognise the module by `libraryManufacturer`.
 *
 * Everything else passes through. One signing operation per session, kept in a small
 * table; like the assistant's token host, callers use a module from one thread.
 *
 * Build: native/p11-sm2-shim/build.sh  ->  native/p11-sm2-shim/build/libp11sm2shim.so
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "pkcs11-min.h"

#define REAL(idx, type) ((type)real->fn[idx])

static CK_FUNCTION_LIST *real;   /* the wrapped module's list, owned by it */
static CK_FUNCTION_LIST wrapped; /* our copy, handed to callers */
static CK_ULONG key_type = 0x80000004UL, mechanism = 0x80008104UL;
static int raw_format;
/* DER of the SM2 curve OID 1.2.156.10197.1.301. */
static const CK_BYTE SM2_PARAMS[] = { 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d };

#define MAX_OPS 64
static struct { CK_SESSION_HANDLE session; EVP_PKEY *key; } ops[MAX_OPS];

static int find_op(CK_SESSION_HANDLE s) {
  for (int i = 0; i < MAX_OPS; i++) if (ops[i].key && ops[i].session == s) return i;
  return -1;
}

static void end_op(int i) {
  if (i < 0) return;
  EVP_PKEY_free(ops[i].key);
  ops[i].key = NULL;
}

static CK_RV get_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ULONG type, void *out, CK_ULONG *len) {
  CK_ATTRIBUTE a = { type, out, *len };
  CK_RV rv = REAL(IDX_GET_ATTRIBUTE_VALUE, AttributeFn)(s, o, &a, 1);
  *len = a.ulValueLen;
  return rv;
}

/* Whether the object is an SM2 key (CKK_EC with the SM2 curve) in the wrapped module; its class in *cls. */
static int is_sm2_key(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ULONG *cls) {
  CK_ULONG type = 0, len = sizeof *cls;
  CK_BYTE params[32];
  if (get_attr(s, o, CKA_CLASS, cls, &len) != CKR_OK || (*cls != CKO_PRIVATE_KEY && *cls != CKO_PUBLIC_KEY)) return 0;
  len = sizeof type;
  if (get_attr(s, o, CKA_KEY_TYPE, &type, &len) != CKR_OK || type != CKK_EC) return 0;
  len = sizeof params;
  return get_attr(s, o, CKA_EC_PARAMS, params, &len) == CKR_OK && len == sizeof SM2_PARAMS && memcmp(params, SM2_PARAMS, len) == 0;
}

static CK_RV shim_GetInfo(CK_INFO *info) {
  static const char name[] = "CA-Assistant SM2 test shim";
  CK_RV rv = REAL(IDX_GET_INFO, GetInfoFn)(info);
  if (rv != CKR_OK) return rv;
  memset(info->manufacturerID, ' ', sizeof info->manufacturerID);
  memcpy(info->manufacturerID, name, sizeof name - 1);
  return rv;
}

static CK_RV shim_GetMechanismList(CK_SLOT_ID slot, CK_ULONG *list, CK_ULONG *count) {
  CK_ULONG n = 0;
  CK_RV rv;
  if (!count) return CKR_ARGUMENTS_BAD;
  if ((rv = REAL(IDX_GET_MECHANISM_LIST, GetMechanismListFn)(slot, NULL, &n)) != CKR_OK) return rv;
  if (!list) { *count = n + 1; return CKR_OK; }
  if (*count < n + 1) { *count = n + 1; return CKR_BUFFER_TOO_SMALL; }
  if ((rv = REAL(IDX_GET_MECHANISM_LIST, GetMechanismListFn)(slot, list, &n)) != CKR_OK) return rv;
  list[n] = mechanism;
  *count = n + 1;
  return CKR_OK;
}

static CK_RV shim_GetMechanismInfo(CK_SLOT_ID slot, CK_ULONG type, CK_MECHANISM_INFO *info) {
  if (type != mechanism) return REAL(IDX_GET_MECHANISM_INFO, GetMechanismInfoFn)(slot, type, info);
  if (!info) return CKR_ARGUMENTS_BAD;
  info->ulMinKeySize = info->ulMaxKeySize = 256;
  info->flags = CKF_HW | CKF_SIGN;
  return CKR_OK;
}

static void put_ulong(CK_ATTRIBUTE *a, CK_ULONG v) {
  if (a->pValue && a->ulValueLen >= sizeof v) memcpy(a->pValue, &v, sizeof v);
  a->ulValueLen = sizeof v;
}

static void put_bool(CK_ATTRIBUTE *a, CK_BYTE v) {
  if (a->pValue && a->ulValueLen >= 1) *(CK_BYTE *)a->pValue = v;
  a->ulValueLen = 1;
}

/* Shows an SM2 key as the vendor's module would: its key type, and a private key that never leaves. */
static CK_RV shim_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE *t, CK_ULONG n) {
  CK_ULONG cls;
  CK_RV rv = REAL(IDX_GET_ATTRIBUTE_VALUE, AttributeFn)(s, o, t, n);
  if (!t || !is_sm2_key(s, o, &cls)) return rv;
  for (CK_ULONG i = 0; i < n; i++) {
    CK_ATTRIBUTE *a = &t[i];
    if (a->type == CKA_KEY_TYPE && key_type != CKK_EC) put_ulong(a, key_type);
    if (cls != CKO_PRIVATE_KEY) continue;
    if (a->type == CKA_VALUE) {
      a->ulValueLen = UNAVAILABLE;
      if (rv == CKR_OK) rv = CKR_ATTRIBUTE_SENSITIVE;
    } else if (a->type == CKA_SENSITIVE || a->type == CKA_ALWAYS_SENSITIVE || a->type == CKA_NEVER_EXTRACTABLE) {
      put_bool(a, 1);
    } else if (a->type == CKA_EXTRACTABLE) {
      put_bool(a, 0);
    }
  }
  return rv;
}

/* A search for the vendor key type finds the CKK_EC keys the wrapped module holds. */
static CK_RV shim_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n) {
  static CK_ULONG ec = CKK_EC;
  CK_ATTRIBUTE copy[64];
  if (!t || n > 64 || key_type == CKK_EC) return REAL(IDX_FIND_OBJECTS_INIT, FindInitFn)(s, t, n);
  memcpy(copy, t, n * sizeof *t);
  for (CK_ULONG i = 0; i < n; i++) {
    if (copy[i].type == CKA_KEY_TYPE && copy[i].pValue && copy[i].ulValueLen == sizeof(CK_ULONG) && *(CK_ULONG *)copy[i].pValue == key_type) {
      copy[i].pValue = &ec;
    }
  }
  return REAL(IDX_FIND_OBJECTS_INIT, FindInitFn)(s, copy, n);
}

static int logged_in(CK_SESSION_HANDLE s) {
  CK_SESSION_INFO si;
  return REAL(IDX_GET_SESSION_INFO, GetSessionInfoFn)(s, &si) == CKR_OK && (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS);
}

/* An OpenSSL SM2 key from the 32-byte private scalar. */
static EVP_PKEY *sm2_key(const CK_BYTE *d, CK_ULONG len) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  BIGNUM *priv = BN_bin2bn(d, (int)len, NULL);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
  OSSL_PARAM *params = NULL;
  EVP_PKEY *key = NULL;
  if (bld && priv && ctx && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
      EVP_PKEY_fromdata_init(ctx) > 0 && EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) <= 0)
    key = NULL;
  OSSL_PARAM_free(params);
  EVP_PKEY_CTX_free(ctx);
  BN_clear_free(priv);
  OSSL_PARAM_BLD_free(bld);
  return key;
}

static CK_RV shim_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE key) {
  CK_ULONG cls = 0, len;
  CK_BYTE d[66];
  int sm2, slot = -1;
  if (!m) return CKR_ARGUMENTS_BAD;
  sm2 = is_sm2_key(s, key, &cls);
  if (m->mechanism != mechanism) return sm2 ? CKR_KEY_TYPE_INCONSISTENT : REAL(IDX_SIGN_INIT, SignInitFn)(s, m, key);
  /* Logged out, the private key is not even visible: say why, before judging the key. */
  if (!logged_in(s)) return CKR_USER_NOT_LOGGED_IN;
  if (!sm2 || cls != CKO_PRIVATE_KEY) return CKR_KEY_TYPE_INCONSISTENT;
  if (find_op(s) >= 0) return CKR_OPERATION_ACTIVE;
  for (int i = 0; i < MAX_OPS && slot < 0; i++) if (!ops[i].key) slot = i;
  if (slot < 0) return CKR_HOST_MEMORY;
  len = sizeof d;
  if (get_attr(s, key, CKA_VALUE, d, &len) != CKR_OK || len == 0 || len > 32) return CKR_GENERAL_ERROR;
  ops[slot].key = sm2_key(d, len);
  OPENSSL_cleanse(d, sizeof d);
  if (!ops[slot].key) return CKR_FUNCTION_FAILED;
  ops[slot].session = s;
  return CKR_OK;
}

/* SM2 over e; DER from OpenSSL, or r || s. Returns the length, 0 on failure. */
static size_t sm2_sign(EVP_PKEY *key, const CK_BYTE *e, CK_BYTE out[80]) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
  size_t len = 80;
  if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 || EVP_PKEY_sign(ctx, out, &len, e, 32) <= 0) len = 0;
  EVP_PKEY_CTX_free(ctx);
  if (len && raw_format) {
    const CK_BYTE *p = out;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    len = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) == 32 && BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) == 32 ? 64 : 0;
    ECDSA_SIG_free(sig);
  }
  return len;
}

static CK_RV shim_Sign(CK_SESSION_HANDLE s, CK_BYTE *data, CK_ULONG len, CK_BYTE *sig, CK_ULONG *sigLen) {
  int i = find_op(s);
  CK_BYTE out[80];
  size_t n;
  if (i < 0) return REAL(IDX_SIGN, SignFn)(s, data, len, sig, sigLen);
  if (!data || !sigLen) return CKR_ARGUMENTS_BAD;
  if (len != 32) { end_op(i); return CKR_DATA_LEN_RANGE; }
  if (!sig) { *sigLen = raw_format ? 64 : 72; return CKR_OK; } /* a length query leaves the operation active */
  if (!(n = sm2_sign(ops[i].key, data, out))) { end_op(i); return CKR_FUNCTION_FAILED; }
  if (*sigLen < n) { *sigLen = n; return CKR_BUFFER_TOO_SMALL; }
  memcpy(sig, out, n);
  *sigLen = n;
  end_op(i);
  return CKR_OK;
}

static CK_RV shim_CloseSession(CK_SESSION_HANDLE s) {
  end_op(find_op(s));
  return REAL(IDX_CLOSE_SESSION, SessionFn)(s);
}

static CK_RV shim_CloseAllSessions(CK_SLOT_ID slot) {
  for (int i = 0; i < MAX_OPS; i++) end_op(ops[i].key ? i : -1);
  return REAL(IDX_CLOSE_ALL_SESSIONS, SlotFn)(slot);
}

static CK_RV shim_Finalize(void *reserved) {
  for (int i = 0; i < MAX_OPS; i++) end_op(ops[i].key ? i : -1);
  return REAL(IDX_FINALIZE, VoidFn)(reserved);
}

static CK_ULONG env_ulong(const char *name, CK_ULONG fallback) {
  const char *s = getenv(name);
  if (!s || !*s) return fallback;
  if (strcmp(s, "CKK_EC") == 0) return CKK_EC;
  return strtoul(s, NULL, 0);
}

static CK_RV shim_GetFunctionList(CK_FUNCTION_LIST **out);

static int load_real(void) {
  const char *name = getenv("P11_SM2_SHIM_MODULE");
  const char *format = getenv("P11_SM2_SHIM_FORMAT");
  void *h;
  GetFunctionListFn gfl;
  if (real) return 1;
  if (!name || !*name) name = "/usr/lib/softhsm/libsofthsm2.so";
  key_type = env_ulong("P11_SM2_SHIM_KEY_TYPE", key_type);
  mechanism = env_ulong("P11_SM2_SHIM_MECHANISM", mechanism);
  raw_format = format && strcmp(format, "raw") == 0;
  if (!(h = dlopen(name, RTLD_NOW | RTLD_LOCAL))) {
    fprintf(stderr, "p11-sm2-shim: cannot load %s: %s\n", name, dlerror());
    return 0;
  }
  gfl = (GetFunctionListFn)dlsym(h, "C_GetFunctionList");
  if (!gfl || gfl(&real) != CKR_OK || !real) { real = NULL; return 0; }
  wrapped = *real;
  wrapped.fn[IDX_FINALIZE] = (CK_GENERIC_FN)shim_Finalize;
  wrapped.fn[IDX_GET_INFO] = (CK_GENERIC_FN)shim_GetInfo;
  wrapped.fn[IDX_GET_FUNCTION_LIST] = (CK_GENERIC_FN)shim_GetFunctionList;
  wrapped.fn[IDX_GET_MECHANISM_LIST] = (CK_GENERIC_FN)shim_GetMechanismList;
  wrapped.fn[IDX_GET_MECHANISM_INFO] = (CK_GENERIC_FN)shim_GetMechanismInfo;
  wrapped.fn[IDX_CLOSE_SESSION] = (CK_GENERIC_FN)shim_CloseSession;
  wrapped.fn[IDX_CLOSE_ALL_SESSIONS] = (CK_GENERIC_FN)shim_CloseAllSessions;
  wrapped.fn[IDX_GET_ATTRIBUTE_VALUE] = (CK_GENERIC_FN)shim_GetAttributeValue;
  wrapped.fn[IDX_FIND_OBJECTS_INIT] = (CK_GENERIC_FN)shim_FindObjectsInit;
  wrapped.fn[IDX_SIGN_INIT] = (CK_GENERIC_FN)shim_SignInit;
  wrapped.fn[IDX_SIGN] = (CK_GENERIC_FN)shim_Sign;
  return 1;
}

static CK_RV shim_GetFunctionList(CK_FUNCTION_LIST **out) {
  if (!out) return CKR_ARGUMENTS_BAD;
  if (!load_real()) return CKR_GENERAL_ERROR;
  *out = &wrapped;
  return CKR_OK;
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST **out) {
  return shim_GetFunctionList(out);
}
