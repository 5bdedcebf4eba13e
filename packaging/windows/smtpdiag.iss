; Inno Setup 6 script: the Windows installer for the PyInstaller folder dist\smtpdiag.
;
; Built by packaging\windows\build.ps1, which passes the version:
;     iscc /DAppVersion=0.1.0 packaging\windows\smtpdiag.iss
; Output: dist\smtpdiag-<version>-windows-x64-setup.exe
;
; Installs for the current user without administrator rights by default
; (%LOCALAPPDATA%\Programs\smtpdiag); the first page offers "for all users"
; (Program Files, needs elevation).  Start menu entry, optional desktop icon,
; optional PATH entry so that `smtpdiag check ...` works in a command prompt,
; and an uninstaller (Settings > Apps) that removes all of it.
;
; The folder holds two programs: smtpdiag.exe (console: `smtpdiag check`, prints
; reports) and smtpdiagw.exe (the same without a console window: the shortcuts).

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=x.y.z smtpdiag.iss (build.ps1 does)
#endif
#ifndef NumericVersion
  ; Windows version resources take numbers only (build.ps1 passes 0.1.0 for 0.1.0rc1)
  #define NumericVersion AppVersion
#endif
#ifndef AppSource
  #define AppSource "..\..\dist\smtpdiag"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{757E90B5-0321-4005-B947-30B351EDC4DB}
AppName=smtpdiag
AppVersion={#AppVersion}
AppVerName=smtpdiag {#AppVersion}
AppPublisher=The smtpdiag team
AppPublisherURL=https://smtpdiag.org/
AppSupportURL=https://smtpdiag.org/issues
AppUpdatesURL=https://smtpdiag.org/
AppComments=Find out why your mail program cannot send mail
VersionInfoVersion={#NumericVersion}
VersionInfoProductName=smtpdiag
DefaultDirName={autopf}\smtpdiag
DefaultGroupName=smtpdiag
DisableProgramGroupPage=yes
DisableDirPage=auto
; Per-user by default; the user may choose "all users" (then UAC asks).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=smtpdiag-{#AppVersion}-windows-x64-setup
SetupIconFile=smtpdiag.ico
UninstallDisplayIcon={app}\smtpdiagw.exe
UninstallDisplayName=smtpdiag
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
ChangesEnvironment=yes
#ifdef SignTool
; build.ps1 -Sign passes /DSignTool=... with a SignTool named "smtpdiag" set up in ISCC.
SignTool=smtpdiag
SignedUninstaller=yes
#endif

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "de"; MessagesFile: "compiler:Languages\German.isl"
Name: "fr"; MessagesFile: "compiler:Languages\French.isl"
Name: "es"; MessagesFile: "compiler:Languages\Spanish.isl"
Name: "it"; MessagesFile: "compiler:Languages\Italian.isl"
Name: "nl"; MessagesFile: "compiler:Languages\Dutch.isl"

[CustomMessages]
en.AddToPath=Make the command smtpdiag available in command prompts (adds it to PATH)
de.AddToPath=Den Befehl smtpdiag in der Eingabeaufforderung verfügbar machen (PATH ergänzen)
fr.AddToPath=Rendre la commande smtpdiag disponible dans l'invite de commandes (ajout au PATH)
es.AddToPath=Hacer disponible el comando smtpdiag en la línea de comandos (añadir al PATH)
it.AddToPath=Rendere disponibile il comando smtpdiag nel prompt dei comandi (aggiunge al PATH)
nl.AddToPath=De opdracht smtpdiag beschikbaar maken in de opdrachtprompt (toevoegen aan PATH)
en.Practice=smtpdiag practice (simulated network)
de.Practice=smtpdiag Übung (simuliertes Netz)
fr.Practice=smtpdiag entraînement (réseau simulé)
es.Practice=smtpdiag práctica (red simulada)
it.Practice=smtpdiag esercitazione (rete simulata)
nl.Practice=smtpdiag oefenen (gesimuleerd netwerk)
en.Comment=Find out why your mail program cannot send mail
de.Comment=Herausfinden, warum Ihr E-Mail-Programm keine Mails senden kann
fr.Comment=Découvrir pourquoi votre logiciel de messagerie ne peut pas envoyer de courriels
es.Comment=Averiguar por qué su programa de correo no puede enviar correo
it.Comment=Scoprire perché il programma di posta non riesce a inviare e-mail
nl.Comment=Uitzoeken waarom uw e-mailprogramma geen mail kan versturen

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "{cm:AddToPath}"; Flags: unchecked

[InstallDelete]
; An upgrade must not keep libraries of the previous version next to the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#AppSource}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\smtpdiag"; Filename: "{app}\smtpdiagw.exe"; Comment: "{cm:Comment}"
Name: "{autoprograms}\{cm:Practice}"; Filename: "{app}\smtpdiagw.exe"; Parameters: "demo"; Comment: "{cm:Comment}"
Name: "{autodesktop}\smtpdiag"; Filename: "{app}\smtpdiagw.exe"; Comment: "{cm:Comment}"; Tasks: desktopicon

[Run]
Filename: "{app}\smtpdiagw.exe"; Description: "{cm:LaunchProgram,smtpdiag}"; Flags: nowait postinstall skipifsilent

[Code]
{ PATH entry: the user's PATH for a per-user install, the system's for all users. }

function EnvironmentRoot: Integer;
begin
  if IsAdminInstallMode then Result := HKEY_LOCAL_MACHINE else Result := HKEY_CURRENT_USER;
end;

function EnvironmentKey: String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function PathWithout(const Paths, Dir: String): String;
var
  Rest, Item: String;
  P: Integer;
begin
  Result := '';
  Rest := Paths + ';';
  while Rest <> '' do
  begin
    P := Pos(';', Rest);
    Item := Copy(Rest, 1, P - 1);
    Rest := Copy(Rest, P + 1, Length(Rest));
    if (Item <> '') and (CompareText(RemoveBackslashUnlessRoot(Item), RemoveBackslashUnlessRoot(Dir)) <> 0) then
    begin
      if Result <> '' then Result := Result + ';';
      Result := Result + Item;
    end;
  end;
end;

procedure SetPathEntry(const Dir: String; Add: Boolean);
var
  Paths, NewPaths: String;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths) then Paths := '';
  NewPaths := PathWithout(Paths, Dir);
  if Add then
  begin
    if NewPaths <> '' then NewPaths := NewPaths + ';';
    NewPaths := NewPaths + Dir;
  end;
  if NewPaths <> Paths then
    RegWriteExpandStringValue(EnvironmentRoot, EnvironmentKey, 'Path', NewPaths);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
    SetPathEntry(ExpandConstant('{app}'), WizardIsTaskSelected('addtopath'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    SetPathEntry(ExpandConstant('{app}'), False);
end;
