"""gunicorn settings read from the project folder: access and error logs mask ID numbers.

`gunicorn xixin_dibao.wsgi` started here picks this file up by itself (issue 19.6).
"""

logger_class = "xixin_dibao.logging.MaskingGunicornLogger"
