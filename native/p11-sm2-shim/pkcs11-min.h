/*
 * The few PKCS#11 v2.40 types, function-list indexes and constants p11-sm2-shim.c uses:
 * enough to wrap a module's function list without a system pkcs11.h (as pin-guard does).
 */
#ifndef P11_SM2_SHIM_PKCS11_MIN_H
#define P11_SM2_SHIM_PKCS11_MIN_H

typedef unsigned long CK_ULONG, CK_RV, CK_SLOT_ID, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_FLAGS;
typedef unsigned char CK_BYTE;
typedef void (*CK_GENERIC_FN)(void);
typedef struct { CK_BYTE major, minor; } CK_VERSION;
typedef struct { CK_ULONG type; void *pValue; CK_ULONG ulValueLen; } CK_ATTRIBUTE;
typedef struct { CK_ULONG mechanism; void *pParameter; CK_ULONG ulParameterLen; } CK_MECHANISM;
typedef struct { CK_ULONG ulMinKeySize, ulMaxKeySize; CK_FLAGS flags; } CK_MECHANISM_INFO;
typedef struct { CK_VERSION cryptokiVersion; CK_BYTE manufacturerID[32]; CK_FLAGS flags; CK_BYTE libraryDescription[32]; CK_VERSION libraryVersion; } CK_INFO;
typedef struct { CK_SLOT_ID slotID; CK_ULONG state; CK_FLAGS flags; CK_ULONG ulDeviceError; } CK_SESSION_INFO;

/* CK_FUNCTION_LIST: a version, then 68 function pointers in spec order. */
#define FN_COUNT 68
enum {
  IDX_FINALIZE = 1, IDX_GET_INFO = 2, IDX_GET_FUNCTION_LIST = 3, IDX_GET_MECHANISM_LIST = 7, IDX_GET_MECHANISM_INFO = 8,
  IDX_CLOSE_SESSION = 13, IDX_CLOSE_ALL_SESSIONS = 14, IDX_GET_SESSION_INFO = 15, IDX_GET_ATTRIBUTE_VALUE = 24,
  IDX_FIND_OBJECTS_INIT = 26, IDX_SIGN_INIT = 42, IDX_SIGN = 43,
};
typedef struct { CK_VERSION version; CK_GENERIC_FN fn[FN_COUNT]; } CK_FUNCTION_LIST;

#define CKR_OK 0x0UL
#define CKR_HOST_MEMORY 0x2UL
#define CKR_GENERAL_ERROR 0x5UL
#define CKR_FUNCTION_FAILED 0x6UL
#define CKR_ARGUMENTS_BAD 0x7UL
#define CKR_ATTRIBUTE_SENSITIVE 0x11UL
#define CKR_DATA_LEN_RANGE 0x21UL
#define CKR_KEY_TYPE_INCONSISTENT 0x63UL
#define CKR_OPERATION_ACTIVE 0x90UL
#define CKR_USER_NOT_LOGGED_IN 0x101UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKA_CLASS 0x0UL
#define CKA_VALUE 0x11UL
#define CKA_KEY_TYPE 0x100UL
#define CKA_SENSITIVE 0x103UL
#define CKA_EXTRACTABLE 0x162UL
#define CKA_NEVER_EXTRACTABLE 0x164UL
#define CKA_ALWAYS_SENSITIVE 0x165UL
#define CKA_EC_PARAMS 0x180UL
#define CKO_PUBLIC_KEY 2UL
#define CKO_PRIVATE_KEY 3UL
#define CKK_EC 3UL
#define CKF_HW 0x1UL
#define CKF_SIGN 0x800UL
#define CKS_RO_USER_FUNCTIONS 1UL
#define CKS_RW_USER_FUNCTIONS 3UL
#define UNAVAILABLE (~0UL)

typedef CK_RV (*GetFunctionListFn)(CK_FUNCTION_LIST **);
typedef CK_RV (*VoidFn)(void *);
typedef CK_RV (*GetInfoFn)(CK_INFO *);
typedef CK_RV (*GetMechanismListFn)(CK_SLOT_ID, CK_ULONG *, CK_ULONG *);
typedef CK_RV (*GetMechanismInfoFn)(CK_SLOT_ID, CK_ULONG, CK_MECHANISM_INFO *);
typedef CK_RV (*SessionFn)(CK_SESSION_HANDLE);
typedef CK_RV (*SlotFn)(CK_SLOT_ID);
typedef CK_RV (*GetSessionInfoFn)(CK_SESSION_HANDLE, CK_SESSION_INFO *);
typedef CK_RV (*AttributeFn)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*FindInitFn)(CK_SESSION_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*SignInitFn)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_OBJECT_HANDLE);
typedef CK_RV (*SignFn)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);

#endif
