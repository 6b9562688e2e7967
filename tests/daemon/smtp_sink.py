# An SMTP server for the tests (Python's standard smtpd): every message it
# receives becomes one file in DIR: "mailfrom\nrcpt,rcpt\n\n" then the data.
# Usage: smtp_sink.py PORT DIR
import asyncore
import os
import smtpd
import sys


class Sink(smtpd.SMTPServer):
    count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        Sink.count += 1
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        path = os.path.join(sys.argv[2], "mail%04d" % Sink.count)
        with open(path + ".tmp", "w") as out:
            out.write(mailfrom + "\n" + ",".join(rcpttos) + "\n\n" + data)
        os.rename(path + ".tmp", path)


Sink(("127.0.0.1", int(sys.argv[1])), None)
asyncore.loop()
