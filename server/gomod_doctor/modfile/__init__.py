"""go.mod and go.work files, as golang.org/x/mod/modfile reads them.

- :mod:`.syntax`  text -> positioned tree (tokens, blocks, comments) and syntax errors
- :mod:`.rules`   go.mod meaning (:func:`~.rules.parse_mod`, :func:`~.rules.mod_to_json`)
- :mod:`.work`    go.work meaning (:func:`~.work.parse_work`, :func:`~.work.work_to_json`)
- :mod:`.edit`    minimal text edits for replace directives
"""
