"""Which packages an install contains: found, never listed by hand.

Everything else is in pyproject.toml.  This file exists only because resources/
(icons, translations) sits at the top of the repository and is installed as the
package ``smtpdiag.resources``: setuptools' declarative ``packages.find`` cannot
combine a search with such a mapping.  Its data folders (and smtpdiag/data) are namespace
packages so that setuptools installs them without warnings.
"""

from setuptools import find_namespace_packages, setup

code = find_namespace_packages(include=["smtpdiag", "smtpdiag.*"], exclude=["*.__pycache__"])
resources = ["smtpdiag.resources"] + [
    f"smtpdiag.resources.{name}" for name in find_namespace_packages(where="resources", exclude=["*__pycache__"])
]
setup(packages=code + resources, package_dir={"smtpdiag.resources": "resources"})
