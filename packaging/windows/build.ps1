<#
.SYNOPSIS
    Build smtpdiag for Windows: the PyInstaller folder and the Inno Setup installer.

.DESCRIPTION
    From the repository root, in PowerShell (5.1 or 7):

        powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1

    gives
        dist\smtpdiag\                                  smtpdiag.exe (console), smtpdiagw.exe (window)
        dist\smtpdiag-<version>-windows-x64-setup.exe   the installer (needs Inno Setup 6: iscc.exe)

    Needs: 64-bit Python 3.11+ from python.org (py launcher) or $env:PYTHON, and
    Inno Setup 6 (https://jrsoftware.org/isdl.php; winget install JRSoftware.InnoSetup).

    -Sign signs both executables and the installer with signtool (Windows SDK),
    using the certificate named by $env:SMTPDIAG_SIGN_CERT_SHA1 (thumbprint, in the
    user's certificate store) and the RFC 3161 server $env:SMTPDIAG_TIMESTAMP_URL.

.PARAMETER NoInstaller
    Stop after dist\smtpdiag\.
#>
[CmdletBinding()]
param(
    [switch]$NoInstaller,
    [switch]$Sign
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
Set-Location $Root
$Venv = if ($env:SMTPDIAG_BUILD_VENV) { $env:SMTPDIAG_BUILD_VENV } else { Join-Path $Root 'build\venv-windows' }
$Dist = Join-Path $Root 'dist'
$Work = Join-Path $Root 'build\pyinstaller-windows'

function Say($Text) { Write-Host "build: $Text" -ForegroundColor Cyan }
function Invoke-Checked {
    param([string]$File, [string[]]$Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

# 1. the build environment
if (-not (Test-Path (Join-Path $Venv 'Scripts\python.exe'))) {
    Say "creating the build environment $Venv"
    if ($env:PYTHON) { Invoke-Checked $env:PYTHON @('-m', 'venv', $Venv) }
    else { Invoke-Checked 'py' @('-3.11', '-m', 'venv', $Venv) }
}
$Py = Join-Path $Venv 'Scripts\python.exe'
Say "installing smtpdiag and the build tools"
Invoke-Checked $Py @('-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--upgrade', 'pip')
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue (Join-Path $Root 'build\lib')
Invoke-Checked $Py @('-m', 'pip', 'install', '-q', '--disable-pip-version-check',
                     '-r', 'packaging\requirements-build.txt', "$Root[gui]")
Invoke-Checked $Py @('-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-deps', '--force-reinstall', $Root)

# 2. translations
if ((Get-ChildItem -Path 'resources\translations\*\LC_MESSAGES\*.po' -ErrorAction SilentlyContinue) -and
    (Test-Path 'scripts\i18n.py')) {
    Say 'compiling translations'
    Invoke-Checked $Py @('scripts\i18n.py', 'compile')
    Invoke-Checked $Py @('-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-deps', '--force-reinstall', $Root)
}
$Version = (& $Py -c 'from importlib.metadata import version; print(version("smtpdiag"))').Trim()

# 3. PyInstaller (run from build\ so that the source tree cannot shadow the installed package)
Say "PyInstaller: smtpdiag $Version"
New-Item -ItemType Directory -Force -Path $Work | Out-Null
Push-Location $Work
try {
    Invoke-Checked (Join-Path $Venv 'Scripts\pyinstaller.exe') @('--noconfirm', '--clean', '--log-level', 'WARN',
        '--distpath', $Dist, '--workpath', $Work, (Join-Path $Root 'packaging\smtpdiag.spec'))
} finally { Pop-Location }
$App = Join-Path $Dist 'smtpdiag'

# 4. smoke test: the console program prints its version
$Got = (& (Join-Path $App 'smtpdiag.exe') --version).Trim()
if ($Got -ne "smtpdiag $Version") { throw "smtpdiag.exe --version printed '$Got'" }
$SizeMB = [math]::Round(((Get-ChildItem -Recurse -File $App | Measure-Object -Sum Length).Sum / 1MB), 1)
Say "app folder: $App ($SizeMB MB)"

# 5. signing (optional)
$SignArgs = @()
if ($Sign) {
    if (-not $env:SMTPDIAG_SIGN_CERT_SHA1) { throw 'set SMTPDIAG_SIGN_CERT_SHA1 to the signing certificate thumbprint' }
    $Ts = if ($env:SMTPDIAG_TIMESTAMP_URL) { $env:SMTPDIAG_TIMESTAMP_URL } else { 'http://timestamp.digicert.com' }
    $SignTool = 'signtool.exe sign /fd sha256 /tr ' + $Ts + ' /td sha256 /sha1 ' + $env:SMTPDIAG_SIGN_CERT_SHA1
    foreach ($Exe in @('smtpdiag.exe', 'smtpdiagw.exe')) {
        Invoke-Checked 'signtool.exe' @('sign', '/fd', 'sha256', '/tr', $Ts, '/td', 'sha256',
                                         '/sha1', $env:SMTPDIAG_SIGN_CERT_SHA1, (Join-Path $App $Exe))
    }
    $SignArgs = @("/Ssmtpdiag=$SignTool `$f", '/DSignTool=1')
}

# 6. the installer
if (-not $NoInstaller) {
    $Iscc = (Get-Command 'iscc.exe' -ErrorAction SilentlyContinue).Source
    if (-not $Iscc) {
        foreach ($Candidate in @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
                                 "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe")) {
            if (Test-Path $Candidate) { $Iscc = $Candidate; break }
        }
    }
    if (-not $Iscc) { throw 'Inno Setup 6 (ISCC.exe) not found: winget install JRSoftware.InnoSetup' }
    Say 'Inno Setup'
    $NumericVersion = ($Version -replace '[^0-9.].*$', '').TrimEnd('.')
    Invoke-Checked $Iscc (@('/Q', "/DAppVersion=$Version", "/DNumericVersion=$NumericVersion",
                            "/DAppSource=$App", "/DOutputDir=$Dist") + $SignArgs +
                          @((Join-Path $Root 'packaging\windows\smtpdiag.iss')))
    $Setup = Join-Path $Dist "smtpdiag-$Version-windows-x64-setup.exe"
    Say "installer: $Setup ($([math]::Round((Get-Item $Setup).Length / 1MB, 1)) MB)"
}
