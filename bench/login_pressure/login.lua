-- wrk script: password logins, as fast as the server takes them.
--   EMAIL=... PASSWORD=... wrk -t1 -c32 -d12s -s login.lua http://127.0.0.1:8080
wrk.method = "POST"
wrk.path = "/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("EMAIL"), os.getenv("PASSWORD"))
