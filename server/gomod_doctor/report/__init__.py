"""Reports of findings, shared by the CLI and the demo.

- ``formats``  compiler-style text (``render_text``) and JSON (``render_json``)
- ``sarif``    SARIF 2.1.0 for code-scanning services (``render_sarif``)
"""
