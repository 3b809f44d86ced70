/// The error answers of the gateway and of the two services, in their own shapes: the gateway and
/// Workspace send a flat `{"error_code","error_msg"}` (the gateway adds `request_id`), IMS a nested
/// `{"error":{"code","message"}}`.
enum CloudErrorBody {
    static func gateway(_ status: Int, code: String, message: String, requestID: String) -> ServerResponse {
        json(
            status,
            .object([
                ("error_code", .string(code)), ("error_msg", .string(message)), ("request_id", .string(requestID)),
            ]))
    }

    static func throttled(retryAfterSeconds: Int, requestID: String) -> ServerResponse {
        throttled(retryAfter: String(retryAfterSeconds), requestID: requestID)
    }

    static func throttled(retryAfter: String, requestID: String) -> ServerResponse {
        var response = gateway(
            429, code: "APIGW.0308",
            message: "The throttling threshold has been reached: policy user over ratelimit,limit:200,time:5 minute",
            requestID: requestID)
        response.headers.append(("Retry-After", retryAfter))
        return response
    }

    static func noSuchAPI(requestID: String) -> ServerResponse {
        gateway(
            404, code: "APIGW.0101", message: "The API does not exist or has not been published in the environment",
            requestID: requestID)
    }

    static func jobNotFound(family: JobKind.Family, jobID: String) -> ServerResponse {
        service(
            family, 404, ims: ("IMG.0027", "The job \(jobID) does not exist."),
            workspace: ("WKS.00129901", "The image job \(jobID) does not exist."))
    }

    static func forbidden(family: JobKind.Family) -> ServerResponse {
        service(
            family, 403, ims: ("IMG.0003", "The user has no permission to perform this operation."),
            workspace: ("WKS.00010403", "Permission denied."))
    }

    static func internalError(family: JobKind.Family) -> ServerResponse {
        service(family, 500, ims: ("IMG.0001", "System error."), workspace: ("WKS.00000001", "Internal server error."))
    }

    static func unavailable(family: JobKind.Family) -> ServerResponse {
        service(
            family, 503, ims: ("IMG.0002", "The service is unavailable."),
            workspace: ("WKS.00000002", "The service is unavailable."))
    }

    static func htmlPage(status: Int) -> ServerResponse {
        let page = """
            <html>
            <head><title>502 Bad Gateway</title></head>
            <body>
            <center><h1>502 Bad Gateway</h1></center>
            <hr><center>nginx</center>
            </body>
            </html>
            """
        return ServerResponse(status: status, headers: [("Content-Type", "text/html")], body: Array(page.utf8))
    }

    static func json(_ status: Int, _ body: JSONText) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")], body: body.bytes)
    }

    private static func service(
        _ family: JobKind.Family, _ status: Int, ims: (String, String), workspace: (String, String)
    ) -> ServerResponse {
        switch family {
        case .ims:
            return json(status, .object([("error", .object([("code", .string(ims.0)), ("message", .string(ims.1))]))]))
        case .workspace:
            return json(status, .object([("error_code", .string(workspace.0)), ("error_msg", .string(workspace.1))]))
        }
    }
}
