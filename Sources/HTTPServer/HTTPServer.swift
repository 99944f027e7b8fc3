/// HTTPServer: HTTP/1.1 (RFC 9110/9112) and TLS on raw POSIX sockets — one epoll event loop per
/// core, blocking work on Dispatch queues, streaming bodies with back-pressure, a router, and an
/// HTTP client on the same stack.
public enum HTTPServerModule {}
