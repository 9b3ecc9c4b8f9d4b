"""`python -m securedoc`: the same command line as `securedoc`."""

from .cli import main

if __name__ == "__main__":
    main()
