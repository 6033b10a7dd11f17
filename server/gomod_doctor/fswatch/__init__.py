"""File watching shared by the language server and ``gomod-doctor watch``.

- ``roots``    what a watcher watches (:class:`~.roots.Root`) and the changes it
               drops (:func:`~.roots.is_ignored`); pure
- ``watcher``  narrow roots within an inotify budget (each group of them watched by
               ``inotify`` on Linux, else by watchfiles), and the
               :class:`~.watcher.Debouncer`
- ``group``    what a group of watched roots does (a daemon thread, failures to the
               owner)
- ``inotify``  Linux inotify asked for changes only, never for reads
- ``process``  the same watcher in a child process (its set-up never stalls the
               caller's event loop)
"""
