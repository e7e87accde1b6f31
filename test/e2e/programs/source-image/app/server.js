const http = require("node:http");
http.createServer((req, res) => res.end("v1")).listen(Number(process.env.PORT || 8080));
