"""The bundled demo service: a small web-shop API to run the example scenario against."""
