"""The I/O edge for workspaces: locate one as the go command does, read it into a snapshot."""
