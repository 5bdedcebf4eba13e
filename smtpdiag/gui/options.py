"""The "Advanced" section: everything ``smtpdiag check`` offers, and its validation.

Validation is the command line's own (:func:`smtpdiag.options.build_config`), so the
window refuses exactly what ``smtpdiag check`` refuses, with the same one-line
message.  The password lives only in its field and in the RunConfig of a run:
it is never written to QSettings, a log or a report.
"""

from __future__ import annotations

import re
import sys

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from ..config import DEFAULT_CONTROLS, DEFAULT_PORTS, DEFAULT_TIMEOUT, RunConfig
from ..i18n import _
from ..net import connect_budget
from ..options import CheckOptions, UsageError, build_config

_SPLIT = re.compile(r"[\s,;]+")

# QSettings keys.  Deliberately absent: the password, and the login name.
KEY_PORTS = "advanced/ports"
KEY_CONTROLS_ON = "advanced/compare"
KEY_CONTROLS = "advanced/controls"
KEY_TIMEOUT = "advanced/timeout"
KEY_VPN = "advanced/vpn"
KEY_CA_FILE = "advanced/ca_file"


def split_list(text: str) -> list[str]:
    return [part for part in _SPLIT.split(text.strip()) if part]


class AdvancedOptions(QWidget):
    """Ports and modes, reference servers, time limit, VPN, extra CA file, login."""

    changed = Signal()
    submitted = Signal()  # Enter in one of the fields: start the check

    def __init__(self, parent: QWidget | None = None, platform: str = sys.platform) -> None:
        super().__init__(parent)
        self._platform = platform
        form = QFormLayout(self)
        form.setContentsMargins(20, 4, 0, 4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.ports = QLineEdit(self)
        self.ports.setText(" ".join(DEFAULT_PORTS))
        self.ports.setPlaceholderText(" ".join(DEFAULT_PORTS))
        self.ports.setClearButtonEnabled(True)
        ports_hint = QLabel(_("Port numbers, separated by spaces. Add “:implicit” for SSL/TLS or "
                              "“:starttls” for STARTTLS."), self)
        ports_hint.setEnabled(False)  # drawn in the palette's disabled (secondary) text colour
        ports_hint.setWordWrap(True)
        form.addRow(_("&Ports to test:"), self.ports)
        form.addRow("", ports_hint)

        self.compare = QCheckBox(_("&Compare with other mail servers"), self)
        self.compare.setChecked(True)
        self.controls = QLineEdit(self)
        self.controls.setText(" ".join(DEFAULT_CONTROLS))
        self.controls.setPlaceholderText(" ".join(DEFAULT_CONTROLS))
        self.controls.setClearButtonEnabled(True)
        self.compare.toggled.connect(self.controls.setEnabled)
        form.addRow("", self.compare)
        form.addRow(_("&Reference servers:"), self.controls)

        self.timeout = QDoubleSpinBox(self)
        self.timeout.setRange(0.5, 600.0)
        self.timeout.setDecimals(1)
        self.timeout.setSingleStep(1.0)
        self.timeout.setValue(DEFAULT_TIMEOUT)
        self.timeout.setSuffix(_(" seconds"))
        self.timeout.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        form.addRow(_("&Time limit for each step:"), self.timeout)
        # Windows reports a refusal only after retrying (net.connect_budget): say so
        # when the limit is shorter than what a connection attempt really waits.
        self.timeout_hint = QLabel(self)
        self.timeout_hint.setEnabled(False)  # secondary text colour, as the ports hint
        self.timeout_hint.setWordWrap(True)
        form.addRow("", self.timeout_hint)
        self.timeout.valueChanged.connect(self._update_timeout_hint)
        self._update_timeout_hint(self.timeout.value())

        self.vpn = QLineEdit(self)
        self.vpn.setPlaceholderText(_("optional, e.g. vpn.example.com, or vpn.example.com:openvpn-tcp:443 "
                                      "for one protocol on another port"))
        self.vpn.setClearButtonEnabled(True)
        form.addRow(_("Also test &VPN server:"), self.vpn)

        self.ca_file = QLineEdit(self)
        self.ca_file.setPlaceholderText(_("optional: a .pem file, e.g. your company's root certificate"))
        self.ca_file.setClearButtonEnabled(True)
        self.ca_browse = QPushButton(_("C&hoose…"), self)
        self.ca_browse.clicked.connect(self._choose_ca_file)
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.ca_browse)
        self.ca_label = QLabel(_("E&xtra trusted certificates:"), self)
        self.ca_label.setBuddy(self.ca_file)
        form.addRow(self.ca_label, ca_row)

        self.user = QLineEdit(self)
        self.user.setPlaceholderText(_("optional: try to log in, usually your e-mail address"))
        self.user.setClearButtonEnabled(True)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("used for this check only, never saved"))
        self.password.setEnabled(False)
        self.user.textChanged.connect(self._user_changed)
        form.addRow(_("&Log in as:"), self.user)
        form.addRow(_("Pass&word:"), self.password)

        self.reset_button = QPushButton(_("Reset to &defaults"), self)
        self.reset_button.clicked.connect(self.reset)
        reset_row = QHBoxLayout()
        reset_row.setContentsMargins(0, 0, 0, 0)
        reset_row.addWidget(self.reset_button)
        reset_row.addStretch(1)
        form.addRow("", reset_row)

        for widget, name, description in (
            (self.ports, _("Ports to test"),
             _("Port numbers separated by spaces; add :implicit for SSL/TLS or :starttls for STARTTLS")),
            (self.compare, _("Compare with other mail servers"),
             _("Also test well-known mail servers on the same ports, to tell your network from the server")),
            (self.controls, _("Reference servers"), _("Names of the mail servers to compare with")),
            (self.timeout, _("Time limit for each step"), _("How long to wait for each answer, in seconds")),
            (self.vpn, _("VPN server"), _("Also test whether VPN connections to this server get through")),
            (self.ca_file, _("Extra trusted certificates"),
             _("A file of root certificates to trust in addition to the system's")),
            (self.ca_browse, _("Choose a certificate file"), _("Opens a file chooser")),
            (self.user, _("Login name"), _("Optional: smtpdiag tries to log in with this name")),
            (self.password, _("Password"), _("Used for this check only; never saved or written anywhere")),
            (self.reset_button, _("Reset to defaults"), _("Put every advanced option back as it was")),
        ):
            widget.setAccessibleName(name)
            widget.setAccessibleDescription(description)
        self.setAccessibleName(_("Advanced options"))

        for edit in (self.ports, self.controls, self.vpn, self.ca_file, self.user, self.password):
            edit.textChanged.connect(self.changed)
            edit.returnPressed.connect(self.submitted)
        self.compare.toggled.connect(self.changed)
        self.timeout.valueChanged.connect(self.changed)

    @Slot(str)
    def _user_changed(self, text: str) -> None:
        self.password.setEnabled(bool(text.strip()))

    def focus_chain(self) -> list[QWidget]:
        return [self.ports, self.compare, self.controls, self.timeout, self.vpn, self.ca_file,
                self.ca_browse, self.user, self.password, self.reset_button]

    # -- values ----------------------------------------------------------------------------
    def check_options(self) -> CheckOptions:
        """The same options ``smtpdiag check`` takes."""
        ports = split_list(self.ports.text())
        controls = split_list(self.controls.text()) if self.compare.isChecked() else []
        user = self.user.text()
        return CheckOptions(
            port=ports or None,
            # several servers or HOST:PROTOCOL[:PORT] entries, separated by spaces or commas
            vpn=self.vpn.text().replace(",", " ").split() or None,
            control=controls or None,
            no_control=not self.compare.isChecked(),
            timeout=float(self.timeout.value()),
            ca_file=self.ca_file.text().strip() or None,
            user=user.strip() if user.strip() else None,
        )

    def build_config(self, target: str) -> RunConfig:
        """Validate with the command line's rules.  Raises ``smtpdiag.options.UsageError``."""
        ns = self.check_options()
        password = self.password.text() if ns.user else None
        if ns.user and not password:
            raise UsageError(_("Please enter the password for {user}, or leave “Log in as” empty.").format(
                user=ns.user))
        return build_config(ns, target, password)

    def is_default(self) -> bool:
        ns = self.check_options()
        return (ns.port in (None, list(DEFAULT_PORTS)) and ns.vpn is None and ns.ca_file is None
                and ns.user is None and not ns.no_control and ns.control in (None, list(DEFAULT_CONTROLS))
                and ns.timeout == DEFAULT_TIMEOUT)

    def reset(self) -> None:
        self.ports.setText(" ".join(DEFAULT_PORTS))
        self.compare.setChecked(True)
        self.controls.setText(" ".join(DEFAULT_CONTROLS))
        self.timeout.setValue(DEFAULT_TIMEOUT)
        self.vpn.clear()
        self.ca_file.clear()
        self.user.clear()
        self.password.clear()

    # -- settings (never the password, never the login name) ---------------------------------
    def load(self, settings: QSettings) -> None:
        self.ports.setText(str(settings.value(KEY_PORTS, " ".join(DEFAULT_PORTS))))
        self.compare.setChecked(str(settings.value(KEY_CONTROLS_ON, "true")).lower() == "true")
        self.controls.setText(str(settings.value(KEY_CONTROLS, " ".join(DEFAULT_CONTROLS))))
        try:
            self.timeout.setValue(float(str(settings.value(KEY_TIMEOUT, DEFAULT_TIMEOUT))))
        except ValueError:
            self.timeout.setValue(DEFAULT_TIMEOUT)
        self.vpn.setText(str(settings.value(KEY_VPN, "")))
        self.ca_file.setText(str(settings.value(KEY_CA_FILE, "")))
        self.controls.setEnabled(self.compare.isChecked())

    def save(self, settings: QSettings) -> None:
        settings.setValue(KEY_PORTS, self.ports.text().strip())
        settings.setValue(KEY_CONTROLS_ON, "true" if self.compare.isChecked() else "false")
        settings.setValue(KEY_CONTROLS, self.controls.text().strip())
        settings.setValue(KEY_TIMEOUT, float(self.timeout.value()))
        settings.setValue(KEY_VPN, self.vpn.text().strip())
        settings.setValue(KEY_CA_FILE, self.ca_file.text().strip())

    @Slot(float)
    def _update_timeout_hint(self, value: float) -> None:
        budget = connect_budget(value, self._platform)
        self.timeout_hint.setText(_(
            "Windows reports a refused connection only after about 2 seconds, so each "
            "connection attempt waits {budget} seconds.").format(budget=f"{budget:g}")
            if budget > value else "")
        self.timeout_hint.setVisible(budget > value)

    def _choose_ca_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Choose trusted root certificates"), self.ca_file.text(),
            _("Certificates (*.pem *.crt *.cer);;All files (*)"))
        if path:
            self.ca_file.setText(path)
            self.ca_file.setFocus(Qt.FocusReason.OtherFocusReason)
