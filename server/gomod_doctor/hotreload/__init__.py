"""``gomod-doctor watch -- CMD``: run a command, restart it when what its build
reads changes, after a quick check of the workspace.

- ``rules``   which changes matter (ignore rules, extensions, ``//go:embed``); pure
              but for reading ``.gitignore`` and ``.go`` files
- ``runner``  the process group, the watcher, the debounced check-and-restart cycle
"""
