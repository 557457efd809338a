"""What each DVC stage does: read its inputs, call the pure functions, write its outputs.

Every `run(layout, params, ...)` here is called by one thin command line in `stages/`; tests
call them directly on a Layout rooted in a temporary folder.
"""
