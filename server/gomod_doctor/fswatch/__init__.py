"""File watching shared by the language server and ``gomod-doctor watch``.

- ``roots``    what a watcher watches (:class:`~.roots.Root`) and the changes it
               drops (:func:`~.roots.is_ignored`); pure
- ``watcher``  watchfiles over narrow roots within an inotify budget, and the
               :class:`~.watcher.Debouncer`
- ``process``  the same watcher in a child process (its set-up never stalls the
               caller's event loop)
"""
