"""What the stage and its clients agree on, defined once: the pool's password rules (``passwords``)
and the API's OAuth scopes (``scopes``).

The package imports nothing of the product's, so that the CLI, the local stack and the deploy
description may all import it; the Lambda package (app.py and chalicelib/) never needs it: the
functions read their scopes from the stage's settings.
"""
