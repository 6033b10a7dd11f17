"""The language server: LSP glue over the engine (``gomod-doctor serve``).

- ``server``    the pygls ``LanguageServer`` subclass: initialize, document sync,
                scheduling of analyses, diagnostics, progress, configuration, shutdown
- ``settings``  the ``gomodDoctor`` settings
- ``state``     open documents, analysed workspaces
- ``convert``   positions (utf-8/16/32), ranges, diagnostics, URIs
- ``watch``, ``watchproc``  re-export :mod:`gomod_doctor.fswatch` (file watching,
                shared with ``gomod-doctor watch``)
- ``actions``, ``commands``, ``hover``, ``links``, ``lens``, ``search``: features
"""
