"""Allow ``python -m pipeline`` as a synonym of the ``dispatch`` command."""

from pipeline.cli import main

if __name__ == "__main__":
    main()
