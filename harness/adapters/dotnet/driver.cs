// A driver for System.Net.Mail.SmtpClient speaking the harness's JSON-lines protocol
// (harness/docs/adapter-protocol.md). One source for both runtimes: compiled once with plain `mcs`,
// run by Mono or by .NET Core 3.1 and .NET 8 (whose System.dll facade forwards to the real
// System.Net.Mail).
//
//   mono driver.exe [--no-tls]
//   dotnet exec --runtimeconfig driver.runtimeconfig.json driver.exe [--no-tls]
//
// --no-tls: this runtime cannot do TLS (.NET Core without libssl.so.1.1 aborts the whole
// process at the first handshake), so a network request with enable_ssl is answered
// "unavailable" instead of being tried.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Mail;
using System.Net.Security;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

// A stream whose every read fails, as a broken file or network stream does.
class FailingStream : Stream {
    public override bool CanRead { get { return true; } }
    public override bool CanSeek { get { return false; } }
    public override bool CanWrite { get { return false; } }
    public override long Length { get { throw new NotSupportedException(); } }
    public override long Position {
        get { throw new NotSupportedException(); }
        set { throw new NotSupportedException(); }
    }
    public override int Read(byte[] buffer, int offset, int count) {
        throw new IOException("the attachment's stream failed");
    }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) { throw new NotSupportedException(); }
    public override void SetLength(long value) { throw new NotSupportedException(); }
    public override void Write(byte[] buffer, int offset, int count) { throw new NotSupportedException(); }
}

static class Json {
    public static object Parse(string text) {
        int i = 0;
        object value = Value(text, ref i);
        Space(text, ref i);
        if (i != text.Length) throw new FormatException("trailing characters at " + i);
        return value;
    }

    static void Space(string s, ref int i) {
        while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
    }

    static object Value(string s, ref int i) {
        Space(s, ref i);
        if (i >= s.Length) throw new FormatException("unexpected end");
        char c = s[i];
        if (c == '{') {
            var obj = new Dictionary<string, object>();
            i++; Space(s, ref i);
            if (i < s.Length && s[i] == '}') { i++; return obj; }
            while (true) {
                Space(s, ref i);
                if (i >= s.Length || s[i] != '"') throw new FormatException("expected a key at " + i);
                string key = Str(s, ref i);
                Space(s, ref i);
                Expect(s, ref i, ':');
                obj[key] = Value(s, ref i);
                Space(s, ref i);
                if (i < s.Length && s[i] == ',') { i++; continue; }
                Expect(s, ref i, '}');
                return obj;
            }
        }
        if (c == '[') {
            var list = new List<object>();
            i++; Space(s, ref i);
            if (i < s.Length && s[i] == ']') { i++; return list; }
            while (true) {
                list.Add(Value(s, ref i));
                Space(s, ref i);
                if (i < s.Length && s[i] == ',') { i++; continue; }
                Expect(s, ref i, ']');
                return list;
            }
        }
        if (c == '"') return Str(s, ref i);
        if (Word(s, ref i, "true")) return true;
        if (Word(s, ref i, "false")) return false;
        if (Word(s, ref i, "null")) return null;
        int start = i;
        while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) i++;
        if (i == start) throw new FormatException("unexpected '" + c + "' at " + i);
        string number = s.Substring(start, i - start);
        long whole;
        if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out whole))
            return whole;
        return double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    static bool Word(string s, ref int i, string word) {
        if (string.CompareOrdinal(s, i, word, 0, word.Length) != 0) return false;
        i += word.Length;
        return true;
    }

    static void Expect(string s, ref int i, char c) {
        if (i >= s.Length || s[i] != c) throw new FormatException("expected '" + c + "' at " + i);
        i++;
    }

    static string Str(string s, ref int i) {
        Expect(s, ref i, '"');
        var sb = new StringBuilder();
        while (true) {
            if (i >= s.Length) throw new FormatException("unterminated string");
            char c = s[i++];
            if (c == '"') return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (i >= s.Length) throw new FormatException("unterminated escape");
            char e = s[i++];
            switch (e) {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (i + 4 > s.Length) throw new FormatException("short \\u escape");
                    sb.Append((char)int.Parse(s.Substring(i, 4), NumberStyles.HexNumber,
                                              CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: throw new FormatException("bad escape \\" + e);
            }
        }
    }

    // Writes pure ASCII: everything else as \uXXXX (surrogate pairs stay pairs).
    public static void Write(StringBuilder sb, object value) {
        if (value == null) { sb.Append("null"); return; }
        if (value is bool) { sb.Append((bool)value ? "true" : "false"); return; }
        if (value is string) { Quote(sb, (string)value); return; }
        if (value is int || value is long) {
            sb.Append(Convert.ToInt64(value).ToString(CultureInfo.InvariantCulture)); return;
        }
        if (value is double) { sb.Append(((double)value).ToString("R", CultureInfo.InvariantCulture)); return; }
        var dict = value as IDictionary<string, object>;
        if (dict != null) {
            sb.Append('{');
            bool first = true;
            foreach (var pair in dict) {
                if (!first) sb.Append(", ");
                first = false;
                Quote(sb, pair.Key);
                sb.Append(": ");
                Write(sb, pair.Value);
            }
            sb.Append('}');
            return;
        }
        var list = value as IEnumerable;
        if (list != null) {
            sb.Append('[');
            bool first = true;
            foreach (object item in list) {
                if (!first) sb.Append(", ");
                first = false;
                Write(sb, item);
            }
            sb.Append(']');
            return;
        }
        Quote(sb, value.ToString());
    }

    static void Quote(StringBuilder sb, string s) {
        sb.Append('"');
        foreach (char c in s) {
            switch (c) {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4"));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}

class Driver {
    static readonly bool IsMono = Type.GetType("Mono.Runtime") != null;
    static bool noTls;
    static TextWriter output;

    // The CA the current request trusts (and no other), or null for the runtime's defaults.
    static X509Certificate2 trustedCa;
    static string targetHost;

    static void Main(string[] args) {
        foreach (string arg in args) if (arg == "--no-tls") noTls = true;
        output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
        Console.SetOut(Console.Error);  // nothing but protocol lines may reach stdout
        var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        var hello = new Dictionary<string, object>();
        hello["client"] = "System.Net.Mail on " + RuntimeName();
        hello["protocol"] = 1;
        var first = new Dictionary<string, object>();
        first["hello"] = hello;
        Answer(first);
        string line;
        while ((line = input.ReadLine()) != null) {
            if (line.Trim().Length == 0) continue;
            Answer(Handle(line));
        }
    }

    static void Answer(Dictionary<string, object> message) {
        var sb = new StringBuilder();
        Json.Write(sb, message);
        output.Write(sb.ToString());
        output.Write('\n');
        output.Flush();
    }

    static string RuntimeName() {
        if (IsMono) {
            string version = "unknown";
            try {
                MethodInfo name = Type.GetType("Mono.Runtime").GetMethod(
                    "GetDisplayName", BindingFlags.NonPublic | BindingFlags.Static);
                if (name != null) version = ((string)name.Invoke(null, null)).Split(' ')[0];
            } catch (Exception) { }
            return "Mono " + version;
        }
        return (Environment.Version.Major >= 5 ? ".NET " : ".NET Core ") + Environment.Version;
    }

    static Dictionary<string, object> Handle(string line) {
        var answer = new Dictionary<string, object>();
        object id = null;
        try {
            var envelope = (Dictionary<string, object>)Json.Parse(line);
            envelope.TryGetValue("id", out id);
            answer["id"] = id;
            if (envelope.ContainsKey("mail_address")) {
                answer["mail_address"] = ParseAddress((Dictionary<string, object>)envelope["mail_address"]);
                return answer;
            }
            var request = (Dictionary<string, object>)envelope["request"];
            if (noTls && Bool(request, "enable_ssl") && Text(request, "delivery_method") == "network") {
                answer["unavailable"] = ".NET Core cannot do TLS here: libssl.so.1.1 not found " +
                    "(pip install --no-deps mysql-connector-python==8.0.33 provides it)";
                return answer;
            }
            answer["outcomes"] = Run(request);
        } catch (Exception e) {
            Console.Error.WriteLine("driver: cannot run a request: " + e);
            answer["id"] = id;
            answer["unavailable"] = "the driver could not read the request: " + e.GetType().Name + ": " + e.Message;
        }
        return answer;
    }

    static List<object> Run(Dictionary<string, object> request) {
        int sends = (int)Number(request, "sends", 1);
        double timeout = Number(request, "timeout", 100);
        string state = Text(request, "state");
        string caFile = Text(request, "ca_file");
        trustedCa = caFile != null ? new X509Certificate2(caFile) : null;
        targetHost = Text(request, "host");
        ServicePointManager.ServerCertificateValidationCallback =
            caFile != null ? new RemoteCertificateValidationCallback(Validate) : null;

        var outcomes = new List<object>();
        SmtpClient client;
        try {
            client = MakeClient(request);
        } catch (Exception e) {
            for (int n = 0; n < sends; n++) outcomes.Add(Describe(e));
            return outcomes;
        }
        MailMessage message = null;
        try {
            object spec;
            request.TryGetValue("message", out spec);
            message = MakeMessage(spec as Dictionary<string, object>);
        } catch (Exception e) {
            for (int n = 0; n < sends; n++) outcomes.Add(Describe(e));
            Quietly(client.Dispose);
            return outcomes;
        }

        var finished = new ManualResetEvent(false);
        bool started = false;
        client.SendCompleted += delegate { finished.Set(); };
        if (state == "disposed") {
            client.Dispose();
        } else if (state == "send-in-progress" || state == "cancelled") {
            try {
                client.SendAsync(message ?? new MailMessage("in-progress@example.com",
                                                            "in-progress@example.com"), null);
                started = true;
            } catch (Exception e) {
                Console.Error.WriteLine("driver: SendAsync raised " + e);
            }
            if (started && state == "cancelled") {
                Quietly(client.SendAsyncCancel);
                if (!finished.WaitOne(TimeSpan.FromSeconds(timeout + 5)))
                    Console.Error.WriteLine("driver: SendCompleted did not come after SendAsyncCancel");
                started = false;
            }
        }
        bool viaSendAsync = Text(request, "api") == "send_async";
        for (int n = 0; n < sends; n++) {
            try {
                if (viaSendAsync) SendAsyncAndWait(client, message, timeout + 5);
                else client.Send(message);
                outcomes.Add(Success());
            } catch (Exception e) {
                var outcome = Describe(e);
                if (viaSendAsync) outcome["reported_by"] = reportedBy;
                outcomes.Add(outcome);
            }
        }
        if (started) {
            Quietly(client.SendAsyncCancel);
            if (!finished.WaitOne(TimeSpan.FromSeconds(timeout + 5)))
                Console.Error.WriteLine("driver: SendCompleted did not come after SendAsyncCancel");
        }
        Quietly(client.Dispose);
        if (message != null) Quietly(message.Dispose);
        foreach (string folder in files) Quietly(() => Directory.Delete(folder, true));
        files.Clear();
        return outcomes;
    }

    // SendAsync, waited for: what the call raises, or else the error SendCompleted reports,
    // is thrown here, so it is reported as the send's outcome.
    static string reportedBy;

    static void SendAsyncAndWait(SmtpClient client, MailMessage message, double seconds) {
        var done = new ManualResetEvent(false);
        Exception error = null;
        SendCompletedEventHandler handler = (sender, e) => { error = e.Error; done.Set(); };
        client.SendCompleted += handler;
        try {
            reportedBy = "call";
            client.SendAsync(message, null);
            reportedBy = "send_completed";
            if (!done.WaitOne(TimeSpan.FromSeconds(seconds)))
                throw new TimeoutException("SendCompleted did not come");
        } finally {
            client.SendCompleted -= handler;
        }
        if (error != null) throw error;
    }

    static SmtpClient MakeClient(Dictionary<string, object> request) {
        // The (host, port) constructor: the one way to reach the documented states "Host is
        // null", "Host is empty" and "Port is zero" (the setters refuse "" and 0). With
        // configure "properties", SmtpClient() and then the Host and Port setters, which check
        // what the constructor does not. Whatever the runtime raises is the outcome.
        SmtpClient client;
        if (Text(request, "configure") == "properties") {
            client = new SmtpClient();
            client.Host = Text(request, "host");
            client.Port = (int)Number(request, "port", 25);
        } else {
            client = new SmtpClient(Text(request, "host"), (int)Number(request, "port", 25));
        }
        client.Timeout = (int)Math.Round(Number(request, "timeout", 100) * 1000);
        client.EnableSsl = Bool(request, "enable_ssl");
        var credentials = request.ContainsKey("credentials")
            ? request["credentials"] as Dictionary<string, object> : null;
        if (credentials != null)
            client.Credentials = new NetworkCredential(Text(credentials, "user"), Text(credentials, "password"));
        string method = Text(request, "delivery_method") ?? "network";
        if (method == "pickup") client.DeliveryMethod = SmtpDeliveryMethod.SpecifiedPickupDirectory;
        else if (method == "pickup-iis") client.DeliveryMethod = SmtpDeliveryMethod.PickupDirectoryFromIis;
        else client.DeliveryMethod = SmtpDeliveryMethod.Network;
        if (request.ContainsKey("pickup_directory"))
            client.PickupDirectoryLocation = Text(request, "pickup_directory");
        return client;
    }

    static MailMessage MakeMessage(Dictionary<string, object> spec) {
        if (spec == null) return null;
        var message = new MailMessage();
        string from = Text(spec, "from");
        if (from != null) message.From = new MailAddress(from);
        foreach (string addresses in Strings(spec, "to")) message.To.Add(addresses);
        foreach (string addresses in Strings(spec, "cc")) message.CC.Add(addresses);
        foreach (string addresses in Strings(spec, "bcc")) message.Bcc.Add(addresses);
        message.Subject = Text(spec, "subject");
        message.Body = Text(spec, "body");
        message.IsBodyHtml = Bool(spec, "html");
        var headers = spec.ContainsKey("headers") ? spec["headers"] as Dictionary<string, object> : null;
        if (headers != null)
            foreach (var pair in headers) message.Headers.Add(pair.Key, pair.Value as string);
        var attachments = spec.ContainsKey("attachments") ? spec["attachments"] as List<object> : null;
        if (attachments != null)
            foreach (object item in attachments) {
                var a = (Dictionary<string, object>)item;
                byte[] content = Encoding.UTF8.GetBytes(Text(a, "content") ?? "");
                string mediaType = Text(a, "media_type") ?? "application/octet-stream";
                if (Text(a, "source") == "file") {
                    message.Attachments.Add(new Attachment(AttachmentFile(Text(a, "name"), content), mediaType));
                    continue;
                }
                Stream stream = Text(a, "source") == "failing-stream"
                    ? (Stream)new FailingStream() : new MemoryStream(content);
                message.Attachments.Add(new Attachment(stream, Text(a, "name"),
                                                       Text(a, "media_type") ?? "application/octet-stream"));
            }
        return message;
    }

    // The folders of this request's file attachments, deleted after it.
    static readonly List<string> files = new List<string>();

    // The content in a file called name ("attachment" when that is no file name), in a
    // folder of its own.
    static string AttachmentFile(string name, byte[] content) {
        string folder = Path.Combine(Path.GetTempPath(), "smtp-harness-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        files.Add(folder);
        bool usable = !string.IsNullOrEmpty(name) && name != "." && name != ".."
            && name.IndexOfAny(new[] { '/', '\\', '\0' }) < 0;
        string path = Path.Combine(folder, usable ? name : "attachment");
        File.WriteAllBytes(path, content);
        return path;
    }

    // The subjectAltName dNSName ([2]) and iPAddress ([7]) entries against the host.
    static bool NameMatches(X509Certificate2 leaf, string host) {
        if (string.IsNullOrEmpty(host)) return false;
        IPAddress ip;
        byte[] wanted = IPAddress.TryParse(host, out ip) ? ip.GetAddressBytes() : null;
        foreach (X509Extension extension in leaf.Extensions) {
            if (extension.Oid.Value != "2.5.29.17") continue;
            byte[] der = extension.RawData;
            int i = 0;
            if (der.Length < 2 || der[i++] != 0x30) return false;
            int end = Length(der, ref i);
            end += i;
            while (i < end && i < der.Length) {
                byte tag = der[i++];
                int length = Length(der, ref i);
                if (i + length > der.Length) return false;
                if (tag == 0x82 && wanted == null) {
                    string name = Encoding.ASCII.GetString(der, i, length);
                    if (string.Equals(name, host, StringComparison.OrdinalIgnoreCase)) return true;
                    if (name.StartsWith("*.") && host.IndexOf('.') > 0 && string.Equals(
                            name.Substring(1), host.Substring(host.IndexOf('.')), StringComparison.OrdinalIgnoreCase))
                        return true;
                } else if (tag == 0x87 && wanted != null && length == wanted.Length) {
                    bool same = true;
                    for (int k = 0; k < length; k++) same &= der[i + k] == wanted[k];
                    if (same) return true;
                }
                i += length;
            }
        }
        return false;
    }

    static int Length(byte[] der, ref int i) {
        int first = der[i++];
        if (first < 0x80) return first;
        int length = 0;
        for (int n = first & 0x7f; n > 0; n--) length = (length << 8) | der[i++];
        return length;
    }

    // Trust exactly the request's CA: rebuild the chain with it as an extra store (the server
    // does not send its root) and accept only a chain ending at that CA with no error but the
    // untrusted root (and, on Mono, its managed X509 code's InvalidExtension), for the right host.
    static bool Validate(object sender, X509Certificate certificate, X509Chain given, SslPolicyErrors errors) {
        try {
            X509Certificate2 ca = trustedCa;
            if (ca == null || certificate == null) return false;
            if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch |
                           SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
            var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.ExtraStore.Add(ca);
            chain.Build(new X509Certificate2(certificate));
            foreach (X509ChainStatus status in chain.ChainStatus) {
                if (status.Status == X509ChainStatusFlags.NoError) continue;
                if (status.Status == X509ChainStatusFlags.UntrustedRoot) continue;
                if (IsMono && status.Status == X509ChainStatusFlags.InvalidExtension) continue;
                Console.Error.WriteLine("driver: certificate rejected: " + status.Status + " " + status.StatusInformation);
                return false;
            }
            X509ChainElementCollection elements = chain.ChainElements;
            if (elements.Count < 2 || elements[elements.Count - 1].Certificate.Thumbprint != ca.Thumbprint) {
                Console.Error.WriteLine("driver: certificate rejected: the chain does not end at the CA");
                return false;
            }
            // Mono (BTLS) stops verifying at the untrusted root and never compares the name, so
            // here the name is checked as Mono would once the chain were trusted.
            if (IsMono && !NameMatches(new X509Certificate2(certificate), targetHost)) {
                Console.Error.WriteLine("driver: certificate rejected: it does not name " + targetHost);
                return false;
            }
            return true;
        } catch (Exception e) {
            Console.Error.WriteLine("driver: certificate check failed: " + e.GetType().Name + ": " + e.Message);
            return false;
        }
    }

    // new MailAddress(address) or (address, displayName): what it raises, or what it holds.
    static Dictionary<string, object> ParseAddress(Dictionary<string, object> spec) {
        var result = new Dictionary<string, object>();
        string address = Text(spec, "address");
        try {
            MailAddress parsed = spec.ContainsKey("display_name")
                ? new MailAddress(address, Text(spec, "display_name"))
                : new MailAddress(address);
            result["exception"] = null;
            result["display_name"] = parsed.DisplayName;
            result["user"] = parsed.User;
            result["host"] = parsed.Host;
            result["address"] = parsed.Address;
            result["text"] = parsed.ToString();
        } catch (Exception e) {
            result["exception"] = e.GetType().Name;
            result["message"] = e.Message;
        }
        return result;
    }

    static Dictionary<string, object> Success() {
        var outcome = new Dictionary<string, object>();
        outcome["exception"] = null;
        return outcome;
    }

    static Dictionary<string, object> Describe(Exception e) {
        var outcome = new Dictionary<string, object>();
        outcome["exception"] = e.GetType().Name;
        var smtp = e as SmtpException;
        outcome["status_code"] = smtp != null ? (object)(int)smtp.StatusCode : null;
        outcome["message"] = e.Message;
        Exception inner = e.InnerException;
        outcome["inner"] = inner != null ? inner.GetType().Name : null;
        var bases = new List<object>();
        if (inner != null)
            for (Type t = inner.GetType().BaseType; t != null; t = t.BaseType) bases.Add(t.Name);
        outcome["inner_bases"] = bases;
        var failed = new List<object>();
        var many = e as SmtpFailedRecipientsException;
        var one = e as SmtpFailedRecipientException;
        if (many != null) {
            if (many.InnerExceptions != null)
                foreach (SmtpFailedRecipientException r in many.InnerExceptions) failed.Add(Recipient(r));
        } else if (one != null) {
            failed.Add(Recipient(one));
        }
        outcome["failed_recipients"] = failed;
        return outcome;
    }

    static Dictionary<string, object> Recipient(SmtpFailedRecipientException r) {
        var item = new Dictionary<string, object>();
        item["address"] = r.FailedRecipient;
        item["status_code"] = (int)r.StatusCode;
        return item;
    }

    static void Quietly(Action action) {
        try { action(); } catch (Exception e) { Console.Error.WriteLine("driver: " + e.GetType().Name + ": " + e.Message); }
    }

    static string Text(Dictionary<string, object> d, string key) {
        object v;
        return d.TryGetValue(key, out v) ? v as string : null;
    }

    static bool Bool(Dictionary<string, object> d, string key) {
        object v;
        return d.TryGetValue(key, out v) && v is bool && (bool)v;
    }

    static double Number(Dictionary<string, object> d, string key, double otherwise) {
        object v;
        if (!d.TryGetValue(key, out v) || v == null) return otherwise;
        if (v is long) return (long)v;
        if (v is double) return (double)v;
        return otherwise;
    }

    static IEnumerable<string> Strings(Dictionary<string, object> d, string key) {
        object v;
        var list = d.TryGetValue(key, out v) ? v as List<object> : null;
        if (list == null) yield break;
        foreach (object item in list) yield return (string)item;
    }
}
