"""The lab's Python services, one module per service, each with ``main(name, directory, opts)``."""
