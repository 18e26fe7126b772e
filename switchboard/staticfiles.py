"""WhiteNoise's middleware, able to run in Django's async request path.

WhiteNoise 6 is sync-only middleware: one of it in MIDDLEWARE makes Django run every request's middleware
chain in a thread and an async view back on the loop (two thread hops per request, the largest cost of an
action once the database is off its path). Finding a static file is a dictionary lookup, so this subclass
does it on the loop and hands the file over as an async iterator (a sync one would make Django warn and
read it in a thread).
"""
from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from whitenoise.middleware import WhiteNoiseMiddleware

CHUNK = 64 * 1024


async def _chunks(file):
    # Static files are small and on local disk: reading them on the loop costs less than a thread hop.
    try:
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


async def _nothing():
    return
    yield


class AsyncWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    async_capable = True
    sync_capable = True

    def __init__(self, get_response=None, **kwargs):
        super().__init__(get_response, **kwargs)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        static_file = self.find_file(request.path_info) if self.autorefresh else self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)
        response = self.serve(static_file, request)
        if response.streaming and not response.is_async:
            file = getattr(response, "file_to_stream", None)
            response.streaming_content = _chunks(file) if file is not None else _nothing()  # HEAD, 304
        return response
