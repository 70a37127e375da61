"""Allow ``python -m rdssim`` to behave exactly like the ``rdssim`` command."""

from rdssim.cli import main

if __name__ == "__main__":
    main()
