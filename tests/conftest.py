"""Suite-wide: this folder is on ``sys.path`` (pytest's prepend import mode puts a
conftest's folder there), so every test can import the helpers beside it
(``pinned``)."""
