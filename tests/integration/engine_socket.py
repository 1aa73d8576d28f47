#!/usr/bin/python3
"""engine_socket.py MODE PATH LOG: a stand-in for a container engine's API socket, listening on
the Unix socket PATH, for xlsns_containers.sh. Each connection adds a line to LOG, then by MODE:
hang accepts and never answers; garbage answers bytes that are not HTTP; 404 answers as dockerd
does for an unknown container; notjson answers 200 with a body that is not JSON. Runs until
killed."""
import socket, sys

mode, path, log = sys.argv[1:4]
REPLIES = {
    'garbage': b'garbage\r\n\r\n{"Name":"/wrong"}',
    '404': b'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 32\r\n'
           b'Connection: close\r\n\r\n{"message":"No such container"}\n',
    'notjson': b'HTTP/1.1 200 OK\r\nContent-Length: 18\r\nConnection: close\r\n\r\n'
               b'<html>hello</html>',
}
if mode != 'hang' and mode not in REPLIES:
    sys.exit('engine_socket.py: unknown mode ' + mode)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(16)
held = []
while True:
    conn, _ = srv.accept()
    with open(log, 'a') as f:
        f.write('connection\n')
    if mode == 'hang':
        held.append(conn)
        continue
    conn.settimeout(2)
    request = b''
    try:
        while b'\r\n\r\n' not in request:
            chunk = conn.recv(4096)
            if not chunk:
                break
            request += chunk
        conn.sendall(REPLIES[mode])
    except OSError:
        pass
    conn.close()
