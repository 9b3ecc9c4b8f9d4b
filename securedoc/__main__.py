"""`python -m securedoc`: the same command line as `securedoc` (the same narrow front door)."""

from .entry import main

if __name__ == "__main__":
    main()
