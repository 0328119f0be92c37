"""The Textual terminal UI: a thin face on the walk engine, the record and the knowledge base.

This is the only package that imports Textual. Screens and widgets live in their own modules;
the layout is in ``app.tcss``; the app is built by ``make_app`` for the CLI and the tests.
"""
