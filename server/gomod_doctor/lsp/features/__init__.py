"""The language features: functions of a narrow :class:`~gomod_doctor.lsp.context.Context`.

Code actions, commands, hover, document links, the code lens and the local-checkout
search. They import the context, :mod:`gomod_doctor.lsp.document`, the state and the
domain, never :mod:`gomod_doctor.lsp.server` (a lint contract says so).
"""
