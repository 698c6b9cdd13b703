; 互认助手 — additions to electron-builder's NSIS installer (nsis.include).
;
; electron-builder inserts customInit in .onInit, customInstall at the end of
; the install section (after the app files are extracted) and customUnInstall
; at the start of the uninstall section. It compiles the installer and the
; uninstaller separately (BUILD_UNINSTALLER), with -WX: every function here is
; defined only in the build that calls it, so no "function not referenced"
; warning turns into an error.
;
; Trusted mall origins, first match wins:
;   1. installer parameter  /ORIGINS=https://a.example,https://b.example
;   2. build-time define    CA_TRUSTED_ORIGINS (installers/origins.nsh, or makensis /D)
;   3. the origins recorded by a previous installation (HKLM\Software\ca-assistant)
; The installer writes them to %ProgramData%\ca-assistant\config.json and to the
; Chrome and Edge machine policies LocalNetworkAccessAllowedForUrls and
; LoopbackNetworkAllowedForUrls.
;
; CA_CHECK_LOG (test harness only): the pre-install check of running programs
; writes what it found to this file instead of showing its dialog, and quits
; when something runs (as if the user chose 取消).

!include LogicLib.nsh
!include FileFunc.nsh
!include x64.nsh

!if /FileExists "${__FILEDIR__}/origins.nsh"
  !include "${__FILEDIR__}/origins.nsh"
!endif
!ifndef CA_TRUSTED_ORIGINS
  !define CA_TRUSTED_ORIGINS ""
!endif

!define CA_REG_KEY "Software\ca-assistant"
!define CA_PROTOCOL "ca-assistant"
!define CA_RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define CA_RUN_VALUE "CaAssistant"
; Local Network Access machine policies: the name Chrome/Edge 147+ read, and the newer
; loopback-only name of later versions; both are written so either version lets the mall in.
!define CA_CHROME_POLICY "SOFTWARE\Policies\Google\Chrome\LocalNetworkAccessAllowedForUrls"
!define CA_EDGE_POLICY "SOFTWARE\Policies\Microsoft\Edge\LocalNetworkAccessAllowedForUrls"
!define CA_CHROME_LOOPBACK_POLICY "SOFTWARE\Policies\Google\Chrome\LoopbackNetworkAllowedForUrls"
!define CA_EDGE_LOOPBACK_POLICY "SOFTWARE\Policies\Microsoft\Edge\LoopbackNetworkAllowedForUrls"
; Browsers and Office programs that hold CA drivers open (the mall manual asks users to close them).
!define CA_BUSY_PROGRAMS "chrome.exe msedge.exe firefox.exe 360se.exe 360chrome.exe QQBrowser.exe WINWORD.EXE EXCEL.EXE"
; USB vendor ids of the keys in src-agent/tokens/vendors.json (tests/installers keeps them in sync).
!define CA_KEY_USB_IDS "VID_096E|VID_163C|VID_1EA8|VID_0529|VID_055C"

!macro caRegView
  ${If} ${RunningX64}
    SetRegView 64
  ${EndIf}
!macroend

; The removal of our policy values, needed by the installer (origins of a previous
; installation that are no longer configured) and by the uninstaller: NSIS wants the
; uninstaller's copy named un.*, so the functions come from one macro.
!macro caPolicyRemovalFunctions UN
; Deletes from the list policy key on the stack the values holding one of the origins in $R7 (",a,b,").
Function ${UN}caRemovePolicyValues
  Exch $0
  Push $1
  Push $2
  Push $3
  StrCpy $1 0
  ${Do}
    EnumRegValue $2 HKLM "$0" $1
    ${If} $2 == ""
      ${Break}
    ${EndIf}
    ReadRegStr $3 HKLM "$0" $2
    Push $3
    Call ${UN}caIsRecordedOrigin
    Pop $3
    ${If} $3 == 1
      DeleteRegValue HKLM "$0" $2
    ${Else}
      IntOp $1 $1 + 1
    ${EndIf}
  ${Loop}
  DeleteRegKey /ifempty HKLM "$0"
  Pop $3
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; Pushes 1 when the string on the stack is one of the origins in $R7 (",a,b,").
Function ${UN}caIsRecordedOrigin
  Exch $0
  Push $1
  Push $2
  Push $3
  StrCpy $0 ",$0,"
  StrLen $1 $0
  StrCpy $2 0
  StrCpy $3 0
  ${Do}
    StrCpy $3 $R7 $1 $2
    ${If} $3 == ""
      StrCpy $0 0
      ${Break}
    ${EndIf}
    ${If} $3 == $0
      StrCpy $0 1
      ${Break}
    ${EndIf}
    IntOp $2 $2 + 1
  ${Loop}
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd
!macroend

; Removes from the four policy lists the values holding one of the origins in $R7 (",a,b,").
!macro caRemoveRecordedPolicyValues UN
  Push "${CA_CHROME_POLICY}"
  Call ${UN}caRemovePolicyValues
  Push "${CA_EDGE_POLICY}"
  Call ${UN}caRemovePolicyValues
  Push "${CA_CHROME_LOOPBACK_POLICY}"
  Call ${UN}caRemovePolicyValues
  Push "${CA_EDGE_LOOPBACK_POLICY}"
  Call ${UN}caRemovePolicyValues
  ; The parent keys go too when nothing else is left in them.
  DeleteRegKey /ifempty HKLM "SOFTWARE\Policies\Google\Chrome"
  DeleteRegKey /ifempty HKLM "SOFTWARE\Policies\Google"
  DeleteRegKey /ifempty HKLM "SOFTWARE\Policies\Microsoft\Edge"
!macroend

; ---------------------------------------------------------------- installer
!ifndef BUILD_UNINSTALLER
!insertmacro caPolicyRemovalFunctions ""

; Pushes a space-separated list of the busy programs that are running ("" when none).
Function caRunningPrograms
  Push $0
  Push $1
  Push $2
  Push $3
  StrCpy $0 "${CA_BUSY_PROGRAMS} "
  StrCpy $3 ""
  ${Do}
    ${If} $0 == ""
      ${Break}
    ${EndIf}
    ; $1 = next name up to the first space, $0 = the rest
    StrCpy $2 0
    ${Do}
      StrCpy $1 $0 1 $2
      ${If} $1 == " "
        ${Break}
      ${EndIf}
      IntOp $2 $2 + 1
    ${Loop}
    StrCpy $1 $0 $2
    IntOp $2 $2 + 1
    StrCpy $0 $0 "" $2
    Push $1
    Call caProgramRunning
    Pop $2
    ${If} $2 == 1
      StrCpy $3 "$3 $1"
    ${EndIf}
  ${Loop}
  StrCpy $0 $3
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

; Pushes 1 when a process with the image name on the stack runs (any case), else 0.
; Walks the process list with the ToolHelp API (no tasklist/findstr child processes).
Function caProgramRunning
  Exch $0
  Push $1
  Push $2
  Push $3
  Push $4
  StrCpy $4 0
  System::Call 'kernel32::CreateToolhelp32Snapshot(i 2, i 0) p .r1' ; TH32CS_SNAPPROCESS
  ${If} $1 P<> -1
    ; PROCESSENTRY32W of a 32-bit process: nine 4-byte fields, then szExeFile[260].
    System::Call '*(i 556, i, i, i, i, i, i, i, i, &w260) p .r2'
    System::Call 'kernel32::Process32FirstW(p r1, p r2) i .r3'
    ${DoWhile} $3 <> 0
      System::Call '*$2(i, i, i, i, i, i, i, i, i, &w260 .r3)'
      ${If} $3 == $0
        StrCpy $4 1
        ${Break}
      ${EndIf}
      System::Call 'kernel32::Process32NextW(p r1, p r2) i .r3'
    ${Loop}
    System::Free $2
    System::Call 'kernel32::CloseHandle(p r1)'
  ${EndIf}
  StrCpy $0 $4
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

; Asks the user to close browsers and Office until none runs or the user cancels.
Function caAskToCloseBusyPrograms
  ${If} ${Silent}
    Return
  ${EndIf}
  ${Do}
    Call caRunningPrograms
    Pop $0
    !ifdef CA_CHECK_LOG
      FileOpen $1 "${CA_CHECK_LOG}" w
      FileWrite $1 "running:$0$\r$\n"
      FileClose $1
      ${If} $0 != ""
        Quit
      ${EndIf}
    !endif
    ${If} $0 == ""
      ${Break}
    ${EndIf}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "安装互认助手及 CA 驱动前，请先关闭所有浏览器并退出 Office 程序（Word、Excel），也请暂时退出 360 安全卫士、腾讯电脑管家等安全软件。$\r$\n$\r$\n仍在运行：$0$\r$\n$\r$\n关闭后点击「重试」；点击「取消」退出安装。" IDRETRY caRetry
    Quit
    caRetry:
  ${Loop}
FunctionEnd

; Pushes 1 when a USB key of a known vendor is plugged in, else 0: only PowerShell's
; answer "CA-KEY-PRESENT" counts, so a missing PowerShell, or a stand-in that ignores
; its script (Wine's powershell.exe exits 0 for anything), reads as "no key".
Function caKeyPluggedIn
  Push $0
  Push $1
  nsExec::ExecToStack `"$SYSDIR\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -C "if (Get-CimInstance -ClassName Win32_PnPEntity | ? { $$_.DeviceID -match '${CA_KEY_USB_IDS}' }) { 'CA-KEY-PRESENT' }"`
  Pop $0
  Pop $1
  StrCpy $1 $1 14
  ${If} $0 == 0
  ${AndIf} $1 == "CA-KEY-PRESENT"
    StrCpy $0 1
  ${Else}
    StrCpy $0 0
  ${EndIf}
  Pop $1
  Exch $0
FunctionEnd

; Installs every driver package in $INSTDIR\resources\drivers silently:
; *.msi with msiexec /qn, *.exe with the arguments in "<name>.exe.args" (default /S).
Function caInstallDrivers
  StrCpy $R0 "$INSTDIR\resources\drivers"
  StrCpy $R1 0 ; packages present
  FindFirst $R2 $R3 "$R0\*.msi"
  ${If} $R3 != ""
    StrCpy $R1 1
  ${EndIf}
  FindClose $R2
  FindFirst $R2 $R3 "$R0\*.exe"
  ${If} $R3 != ""
    StrCpy $R1 1
  ${EndIf}
  FindClose $R2
  ${If} $R1 == 0
    Return
  ${EndIf}
  Call caAskToUnplugKeys
  Pop $R1
  ${If} $R1 == 0
    DetailPrint "用户跳过了 CA 驱动安装"
    Return
  ${EndIf}
  FindFirst $R2 $R3 "$R0\*.msi"
  ${DoWhile} $R3 != ""
    DetailPrint "安装 CA 驱动：$R3"
    nsExec::Exec `"$SYSDIR\msiexec.exe" /i "$R0\$R3" /qn /norestart`
    Pop $R4
    Call caDriverResult
    FindNext $R2 $R3
  ${Loop}
  FindClose $R2
  FindFirst $R2 $R3 "$R0\*.exe"
  ${DoWhile} $R3 != ""
    StrCpy $R5 "/S"
    ClearErrors
    FileOpen $R6 "$R0\$R3.args" r
    ${IfNot} ${Errors}
      FileRead $R6 $R5
      FileClose $R6
    ${EndIf}
    DetailPrint "安装 CA 驱动：$R3 $R5"
    nsExec::Exec `"$R0\$R3" $R5`
    Pop $R4
    Call caDriverResult
    FindNext $R2 $R3
  ${Loop}
  FindClose $R2
FunctionEnd

; Reports the exit code in $R4 of the driver package named $R3 (3010 = reboot needed).
Function caDriverResult
  ${If} $R4 == 0
  ${OrIf} $R4 == 3010
    DetailPrint "CA 驱动 $R3 已安装"
  ${Else}
    DetailPrint "CA 驱动 $R3 安装失败（返回码 $R4）"
    MessageBox MB_OK|MB_ICONEXCLAMATION "CA 驱动 $R3 未能安装（返回码 $R4）。互认助手仍会安装；请稍后以管理员身份单独运行该驱动安装程序，或联系 CA 客服。" /SD IDOK
  ${EndIf}
FunctionEnd

; Asks to unplug the keys before the drivers, re-checking while one is still plugged in.
; Pushes 1 to go on, 0 when the user skips the drivers. Silent installs go on.
Function caAskToUnplugKeys
  Push $0
  ${If} ${Silent}
    StrCpy $0 1
    Goto caUnplugDone
  ${EndIf}
  StrCpy $0 0
  MessageBox MB_OKCANCEL|MB_ICONINFORMATION "即将安装 CA 驱动，请先拔出电脑上的所有 CA 锁（USB Key），然后点击「确定」。$\r$\n点击「取消」跳过驱动安装。" IDCANCEL caUnplugDone
  ${Do}
    Call caKeyPluggedIn
    Pop $0
    ${If} $0 == 0
      StrCpy $0 1
      ${Break}
    ${EndIf}
    StrCpy $0 0
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "仍检测到已插入的 CA 锁。请拔出后点击「重试」；点击「取消」跳过驱动安装。" IDCANCEL caUnplugDone
  ${Loop}
  caUnplugDone:
  Exch $0
FunctionEnd

; Sets $R9 to the value of /ORIGINS= in the parameters $R0: up to the next space or
; quote, or inside the quotes that follow it. Sets the error flag when the parameter is absent.
; (FileFunc's GetOptions cannot be used: it ends a value at the next "/", which every
; origin contains, so /ORIGINS=https://a.example read as "https:".)
Function caOriginsParameter
  Push $1
  Push $2
  Push $3
  ClearErrors
  StrLen $3 $R0
  StrCpy $1 0
  ${Do}
    ${If} $1 >= $3
      SetErrors
      Goto caParamDone
    ${EndIf}
    StrCpy $2 $R0 9 $1
    ${If} $2 == "/ORIGINS="
      ${If} $1 == 0
        ${Break}
      ${EndIf}
      IntOp $2 $1 - 1
      StrCpy $2 $R0 1 $2
      ${If} $2 == " "
      ${OrIf} $2 == '"'
        ${Break}
      ${EndIf}
    ${EndIf}
    IntOp $1 $1 + 1
  ${Loop}
  IntOp $1 $1 + 9
  StrCpy $R9 $R0 "" $1
  StrCpy $3 " " ; the value ends at a space or a quote, or inside quotes at the quote
  StrCpy $2 $R9 1
  ${If} $2 == '"'
    StrCpy $R9 $R9 "" 1
    StrCpy $3 '"'
  ${EndIf}
  StrCpy $1 0
  ${Do}
    StrCpy $2 $R9 1 $1
    ${If} $2 == ""
    ${OrIf} $2 == $3
    ${OrIf} $2 == '"'
      ${Break}
    ${EndIf}
    IntOp $1 $1 + 1
  ${Loop}
  StrCpy $R9 $R9 $1
  caParamDone:
  Pop $3
  Pop $2
  Pop $1
FunctionEnd

; Sets $R9 to the trusted origins (comma-separated) from /ORIGINS=, the build define or the previous install.
Function caResolveOrigins
  ${GetParameters} $R0
  Call caOriginsParameter
  ${If} ${Errors}
    StrCpy $R9 "${CA_TRUSTED_ORIGINS}"
    ${If} $R9 == ""
      ReadRegStr $R9 HKLM "${CA_REG_KEY}" "TrustedOrigins"
    ${EndIf}
  ${EndIf}
FunctionEnd

; Splits $R9 into origins: writes config.json ($R8 = file handle) and the policy values.
; An origin must start with https:// (http:// only for loopback) and contain no quote,
; backslash or space; others are skipped with a log line. $R7 collects the accepted list.
Function caApplyOrigins
  StrCpy $R7 ""
  StrCpy $R6 0 ; policy index
  StrCpy $R0 "$R9,"
  ${Do}
    ${If} $R0 == ""
      ${Break}
    ${EndIf}
    StrCpy $R2 0
    ${Do}
      StrCpy $R1 $R0 1 $R2
      ${If} $R1 == ","
        ${Break}
      ${EndIf}
      IntOp $R2 $R2 + 1
    ${Loop}
    StrCpy $R1 $R0 $R2
    IntOp $R2 $R2 + 1
    StrCpy $R0 $R0 "" $R2
    ${If} $R1 == ""
      ${Continue}
    ${EndIf}
    Push $R1
    Call caOriginOk
    Pop $R3
    ${If} $R3 != 1
      DetailPrint "忽略无效的商城地址：$R1"
      ${Continue}
    ${EndIf}
    ${If} $R7 == ""
      StrCpy $R7 "$R1"
      FileWrite $R8 `"$R1"`
    ${Else}
      StrCpy $R7 "$R7,$R1"
      FileWrite $R8 `, "$R1"`
    ${EndIf}
    IntOp $R6 $R6 + 1
    Push "${CA_CHROME_POLICY}"
    Call caAddPolicyValue
    Push "${CA_EDGE_POLICY}"
    Call caAddPolicyValue
    Push "${CA_CHROME_LOOPBACK_POLICY}"
    Call caAddPolicyValue
    Push "${CA_EDGE_LOOPBACK_POLICY}"
    Call caAddPolicyValue
  ${Loop}
FunctionEnd

; Pushes 1 when the origin on the stack is acceptable, else 0.
Function caOriginOk
  Exch $0
  Push $1
  Push $2
  Push $3
  StrCpy $1 $0 8
  StrCpy $2 $0 17
  ${If} $1 == "https://"
  ${OrIf} $2 == "http://127.0.0.1:"
  ${OrIf} $2 == "http://localhost:"
    StrCpy $1 1
  ${Else}
    StrCpy $1 0
  ${EndIf}
  StrCpy $2 0
  ${Do}
    StrCpy $3 $0 1 $2
    ${If} $3 == ""
      ${Break}
    ${EndIf}
    ${If} $3 == '"'
    ${OrIf} $3 == "\"
    ${OrIf} $3 == " "
      StrCpy $1 0
    ${EndIf}
    IntOp $2 $2 + 1
  ${Loop}
  StrCpy $0 $1
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

; Adds origin $R1 to the list policy key on the stack unless one of its values already holds it.
Function caAddPolicyValue
  Exch $0
  Push $1
  Push $2
  Push $3
  StrCpy $1 0
  StrCpy $3 0 ; highest numeric value name seen
  ${Do}
    EnumRegValue $2 HKLM "$0" $1
    ${If} $2 == ""
      ${Break}
    ${EndIf}
    ReadRegStr $2 HKLM "$0" $2
    ${If} $2 == $R1
      Goto caPolicyDone
    ${EndIf}
    EnumRegValue $2 HKLM "$0" $1
    IntOp $2 $2 + 0
    ${If} $2 > $3
      StrCpy $3 $2
    ${EndIf}
    IntOp $1 $1 + 1
  ${Loop}
  IntOp $3 $3 + 1
  WriteRegStr HKLM "$0" "$3" "$R1"
  caPolicyDone:
  Pop $3
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

!macro customInit
  Call caAskToCloseBusyPrograms
!macroend

!macro customInstall
  !insertmacro caRegView
  Call caInstallDrivers

  ; Machine config and browser policies for the trusted mall origins.
  Call caResolveOrigins
  SetShellVarContext all
  CreateDirectory "$APPDATA\ca-assistant"
  StrCpy $R7 ""
  ${If} $R9 != ""
    ; Origins a previous installation granted and the new list drops must not stay allowed.
    ReadRegStr $R7 HKLM "${CA_REG_KEY}" "TrustedOrigins"
    ${If} $R7 != ""
      StrCpy $R7 ",$R7,"
      !insertmacro caRemoveRecordedPolicyValues ""
    ${EndIf}
    FileOpen $R8 "$APPDATA\ca-assistant\config.json.new" w
    FileWrite $R8 `{$\r$\n  "trustedOrigins": [`
    Call caApplyOrigins
    FileWrite $R8 `]$\r$\n}$\r$\n`
    FileClose $R8
    Delete "$APPDATA\ca-assistant\config.json"
    Rename "$APPDATA\ca-assistant\config.json.new" "$APPDATA\ca-assistant\config.json"
    WriteRegStr HKLM "${CA_REG_KEY}" "TrustedOrigins" "$R7"
    DetailPrint "受信任的商城地址：$R7"
  ${EndIf}

  ; Auto-start for every user, hidden in the tray.
  WriteRegStr HKLM "${CA_RUN_KEY}" "${CA_RUN_VALUE}" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" --hidden'

  ; ca-assistant:// (the SDK uses it to start the assistant). "--" ends the switches,
  ; so a crafted link cannot pass Chromium command-line flags.
  WriteRegStr HKLM "Software\Classes\${CA_PROTOCOL}" "" "URL:互认助手"
  WriteRegStr HKLM "Software\Classes\${CA_PROTOCOL}" "URL Protocol" ""
  WriteRegStr HKLM "Software\Classes\${CA_PROTOCOL}\DefaultIcon" "" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}",0'
  WriteRegStr HKLM "Software\Classes\${CA_PROTOCOL}\shell\open\command" "" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" -- "%1"'
!macroend

!else
; -------------------------------------------------------------- uninstaller
!insertmacro caPolicyRemovalFunctions "un."

!macro customUnInstall
  ; An update runs the old uninstaller first: keep the machine settings for the new version.
  ${IfNot} ${isUpdated}
    !insertmacro caRegView
    ReadRegStr $R7 HKLM "${CA_REG_KEY}" "TrustedOrigins"
    ${If} $R7 != ""
      StrCpy $R7 ",$R7,"
      !insertmacro caRemoveRecordedPolicyValues "un."
    ${EndIf}
    DeleteRegKey HKLM "${CA_REG_KEY}"
    DeleteRegValue HKLM "${CA_RUN_KEY}" "${CA_RUN_VALUE}"
    DeleteRegKey HKLM "Software\Classes\${CA_PROTOCOL}"

    SetShellVarContext all
    Delete "$APPDATA\ca-assistant\config.json"
    RMDir "$APPDATA\ca-assistant"

    ; The audit log, consents and logs of the user stay unless asked for.
    ${GetParameters} $R0
    ClearErrors
    ${GetOptions} $R0 "/DELETEDATA" $R1
    ${If} ${Errors}
      StrCpy $R1 0
      MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "是否同时删除您的互认助手数据（签章审计日志、网站授权记录、运行日志）？$\r$\n一般请选择「否」。" /SD IDNO IDNO caKeepData
      StrCpy $R1 1
      caKeepData:
    ${Else}
      StrCpy $R1 1
    ${EndIf}
    ${If} $R1 == 1
      SetShellVarContext current
      RMDir /r "$APPDATA\ca-assistant"
      SetShellVarContext all
    ${EndIf}
  ${EndIf}
!macroend

!endif
