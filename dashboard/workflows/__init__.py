"""Jobs done in one click, driven by ARI events: call routing, supervisor monitoring, click-to-call.

They run beside the event stream (in the live runner), because they react to events as they
arrive; the web processes send them commands over the channel layer.
"""
