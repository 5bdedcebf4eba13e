"""Replaces PyInstaller's own hook for PySide6.QtGui: the same collection, filtered.

PyInstaller collects every Qt plugin of each plugin type and every translation
catalog the module's Qt repository has; the spec (packaging/smtpdiag.spec) says
which of them smtpdiag needs, via hooksconfig["smtpdiag"]["keep_qt_file"].
Filtering here, before PyInstaller analyses the plugins' shared-library
dependencies, also keeps out the libraries only the dropped plugins need.
"""

from PyInstaller.utils.hooks import get_hook_config
from PyInstaller.utils.hooks.qt import add_qt6_dependencies


def hook(hook_api):
    hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
    keep = get_hook_config(hook_api, "smtpdiag", "keep_qt_file") or (lambda src, dest_dir: True)
    hook_api.add_imports(*hiddenimports)
    hook_api.add_binaries([(src, dest) for src, dest in binaries if keep(src, dest)])
    hook_api.add_datas([(src, dest) for src, dest in datas if keep(src, dest)])
