"""The language server: LSP glue over the engine (``gomod-doctor serve``).

- ``server``       the pygls ``LanguageServer`` subclass: its components, the one
                   registration loop, ``serve``
- ``context``      what the features may use of the server (a Protocol)
- ``document``     one file as the features see it
- ``lifecycle``    initialize, configuration, the Go environment, folders, shutdown
- ``views``        the open documents and the workspace views
- ``scheduler``    the runner of each view; ``passes``: the analyses it runs
- ``verification`` full verification in the background
- ``netloop``      the network checks; ``network``: their scope and the status
- ``publish``      diagnostics, ``gomodDoctor/status``, lens refreshes
- ``watching``     what each view watches (:mod:`gomod_doctor.watchset`)
                   and what a change means, over :mod:`gomod_doctor.fswatch`
                   (shared with ``gomod-doctor watch``)
- ``progress``     ``$/progress``; ``reporter``: a piece of work's reports; ``tasks``:
                   threads and background tasks
- ``settings``     the ``gomodDoctor`` settings; ``state``: documents, views
- ``convert``      positions (utf-8/16/32), ranges, diagnostics, URIs
- ``features``     code actions, commands (``commands``, ``netcommands``, ``cmdbase``),
                   hover, links, lens, checkout search
"""
