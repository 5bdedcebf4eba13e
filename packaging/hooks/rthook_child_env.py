"""PyInstaller runtime hook: programs smtpdiag starts get the user's environment back.

On Linux the frozen app is started with LD_LIBRARY_PATH pointing into its bundle
(PyInstaller's bootloader sets it, keeping any earlier value in
LD_LIBRARY_PATH_ORIG, and restarts itself).  The dynamic loader read it at that
start, so this process keeps finding its libraries; but every program started
from here would inherit it too: the file manager or browser that "Open folder"
or a link starts (xdg-open) would load smtpdiag's copies of libstdc++, GLib or
fontconfig instead of its own, and may crash.  Put the user's value back.
"""


def _smtpdiag_restore_library_path():
    import os
    import sys

    if sys.platform in ("win32", "darwin"):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


_smtpdiag_restore_library_path()
del _smtpdiag_restore_library_path
