"""The window (the only package that imports Qt).

    app       QApplication, Qt translations, run_app(mode, value)
    window    the main window
    banner    the overall light, headline, summary and advice / progress
    results   the live results table (model, delegate, view)
    details   the details pane for support staff
    options   the "Advanced" section and its validation
    dialogs   what the lights mean, what a report contains, about
    lights    the light icons and their words
    bridge    the one place where worker threads meet the window
    qtcompat  work-arounds for bugs in the Qt bindings
"""

from .qtcompat import protect_singletons

protect_singletons()
