; Compiles installers/installer.nsh outside electron-builder, with the same
; makensis flags it uses (-WX -INPUTCHARSET UTF8), and instantiates every
; custom macro. Build twice: once as the installer, once with
; -DBUILD_UNINSTALLER as the uninstaller (electron-builder does the same).
;   makensis -WX -INPUTCHARSET UTF8 -DOUT_FILE=/tmp/i.exe harness.nsi
;   makensis -WX -INPUTCHARSET UTF8 -DOUT_FILE=/tmp/u.exe -DBUILD_UNINSTALLER harness.nsi
; Stand-ins below replace what electron-builder's template provides (docs/installers.md
; lists them). tests/installers/nsis-wine.integration.test.ts runs both builds under Wine;
; -DCA_CHECK_LOG=C:\file makes the busy-program check log instead of asking (tests only).
Unicode true
!ifndef OUT_FILE
  !define OUT_FILE "harness.exe"
!endif
OutFile "${OUT_FILE}"
Name "互认助手"
InstallDir "$PROGRAMFILES64\互认助手"
RequestExecutionLevel admin
SetCompressor zlib
LoadLanguageFile "${NSISDIR}\Contrib\Language files\SimpChinese.nlf"

!define APP_EXECUTABLE_FILENAME "互认助手.exe"

!include LogicLib.nsh
!include FileFunc.nsh

; electron-builder's ${isUpdated} flag (it uses StdUtils.TestParameter, not shipped by Debian's nsis).
!macro _isUpdated _a _b _t _f
  ${GetParameters} $R9
  ClearErrors
  ${GetOptions} $R9 "--updated" $R9
  IfErrors `${_f}` `${_t}`
!macroend
!define isUpdated `"" isUpdated ""`

!include "${__FILEDIR__}/../installer.nsh"


!ifndef BUILD_UNINSTALLER
  Function .onInit
    !insertmacro customInit
  FunctionEnd

  Section "install"
    SetOutPath $INSTDIR
    !insertmacro customInstall
  SectionEnd
!else
  Section "install"
    WriteUninstaller "$INSTDIR\uninstall.exe"
  SectionEnd

  Section "un.Uninstall"
    !insertmacro customUnInstall
  SectionEnd
!endif
