// A minimal Pulumi resource provider for the "command" package
// (plugin pulumi-resource-command), written for this project because the Go
// module proxy reachable here does not serve upstream's
// github.com/pulumi/pulumi-command/provider.
//
// Scope: command:local:Command and command:remote:Command as @pulumi/command
// 1.2.1's SDK declares them.
//
// command:local:Command — create, update and delete scripts run by an
// interpreter (default /bin/sh -c) in `dir`, with `environment` and `stdin`.
//
// command:remote:Command — the same scripts run over SSH (golang.org/x/crypto/ssh,
// the version the Pulumi SDK already requires) on `connection`: host, port
// (22), user (root), privateKey (+ privateKeyPassword), password, SSH agent
// (agentSocketPath or SSH_AUTH_SOCK), hostKey (checked when given, ignored
// otherwise, like upstream), dialErrorLimit (10; -1 = unlimited) and
// perDialTimeout (15 s) with a capped exponential backoff between dials, and
// `proxy` (a jump host with the same fields: the target is dialled through
// it). One SSH session per run: `session.Run(script)` with `stdin` on its
// standard input.
//
// Both: outputs stdout and stderr (a single trailing newline trimmed, like
// upstream); a change of `triggers` replaces, any other input change runs
// `update` (or `create` when there is no update script). Delete runs `delete`
// with the same connection. addPreviousOutputInEnv (default true) passes the
// last run's stdout/stderr as PULUMI_COMMAND_STDOUT/STDERR to update and delete.
// `logging` (stdout, stderr, stdoutAndStderr — the default —, none) selects
// what is streamed line by line to the engine's log (LogRequest, severity
// info, on the resource's URN) and what a failed command's error message
// quotes: with "none" neither output is ever logged nor put in an error.
// Inputs are returned exactly as given (secrets stay secrets); the engine marks
// stdout/stderr secret per additionalSecretOutputs.
//
// Differences from upstream (all deliberate; see also run*):
//   - remote `environment` (and PULUMI_COMMAND_STDOUT/STDERR) is sent as an
//     `export NAME='value'` prefix of the command line, not as SSH "env"
//     requests: sshd refuses every variable its AcceptEnv does not list, which
//     upstream turns into a failed command. The values thus need a POSIX
//     login shell on the host and are visible in the remote process list.
//   - a failed command's error quotes only the streams `logging` allows (tail,
//     4 KiB each), never the command text; upstream quotes both streams.
//   - remote copy/run (CopyToRemote, invokes), assetPaths/archivePaths,
//     local invokes are not implemented.
//
// Used only by the local "real engine" tier; production runs use the upstream provider.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Set with -ldflags "-X main.version=..." to @pulumi/command's version.
var version = "0.0.0-dev"

const (
	localCommand  = "command:local:Command"
	remoteCommand = "command:remote:Command"
)

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

// Output-only properties: never compared as inputs.
var outputsOnly = map[resource.PropertyKey]bool{"stdout": true, "stderr": true, "assets": true, "archive": true}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	engine pulumirpc.EngineClient // nil when the engine address is unknown: nothing is logged
}

func main() {
	for _, a := range os.Args[1:] {
		if a == "-version" || a == "--version" {
			fmt.Println(version)
			return
		}
	}
	s := &server{}
	// The engine starts a provider with its own gRPC address as the last
	// positional argument (after flags such as --logtostderr, -v=N, --tracing X).
	if args := os.Args[1:]; len(args) > 0 && !strings.HasPrefix(args[len(args)-1], "-") {
		if conn, err := grpc.NewClient(args[len(args)-1],
			grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions()); err == nil {
			s.engine = pulumirpc.NewEngineClient(conn)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, s)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from here
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	b, _ := json.Marshal(map[string]any{"name": "command", "version": version})
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (s *server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func supported(typ string) error {
	if typ != localCommand && typ != remoteCommand {
		return fmt.Errorf("unsupported resource type %s (this minimal provider has only %s and %s)", typ, localCommand, remoteCommand)
	}
	return nil
}

func urnType(urn string) string { return string(resource.URN(urn).Type()) }

// Check returns the inputs exactly as given: secret and unknown values stay what they are.
// Only `connection` is validated (a remote command without a host cannot run).
func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := req.GetType()
	if typ == "" {
		typ = urnType(req.GetUrn())
	}
	if err := supported(typ); err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if typ == remoteCommand {
		news, err := plugin.UnmarshalProperties(req.GetNews(), opts)
		if err != nil {
			return nil, err
		}
		c := unwrap(news["connection"])
		switch {
		case c.IsNull():
			failures = append(failures, &pulumirpc.CheckFailure{Property: "connection", Reason: "missing required property 'connection'"})
		case c.IsObject():
			if h := unwrap(c.ObjectValue()["host"]); h.IsNull() {
				failures = append(failures, &pulumirpc.CheckFailure{Property: "connection.host", Reason: "missing required property 'connection.host'"})
			}
		}
		if l := str(news["logging"]); l != "" && !validLogging[l] {
			failures = append(failures, &pulumirpc.CheckFailure{Property: "logging", Reason: fmt.Sprintf("logging must be one of stdout, stderr, stdoutAndStderr, none; got %q", l)})
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds := req.GetOldInputs()
	if olds == nil {
		olds = req.GetOlds()
	}
	oldProps, err := plugin.UnmarshalProperties(olds, opts)
	if err != nil {
		return nil, err
	}
	newProps, err := plugin.UnmarshalProperties(req.GetNews(), opts)
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range oldProps {
		keys[k] = true
	}
	for k := range newProps {
		keys[k] = true
	}
	var diffs, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for k := range keys {
		if outputsOnly[k] {
			continue
		}
		o, n := oldProps[k], newProps[k]
		if o.DeepEquals(n) {
			continue
		}
		diffs = append(diffs, string(k))
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case o.IsNull() || (o.IsSecret() && o.SecretValue().Element.IsNull()):
			kind = pulumirpc.PropertyDiff_ADD
		case n.IsNull():
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if k == "triggers" {
			replaces = append(replaces, string(k))
			kind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
				pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
				pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
				pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
			}[kind]
		}
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(diffs)
	sort.Strings(replaces)
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes: changes, Diffs: diffs, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

func (s *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := urnType(req.GetUrn())
	if err := supported(typ); err != nil {
		return nil, err
	}
	props, err := plugin.UnmarshalProperties(req.GetProperties(), opts)
	if err != nil {
		return nil, err
	}
	id := randomID()
	if req.GetPreview() {
		props["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
		props["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
		return &pulumirpc.CreateResponse{Id: id, Properties: marshal(props)}, nil
	}
	if err := s.run(ctx, typ, req.GetUrn(), props, "create", nil); err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: marshal(props)}, nil
}

func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ := urnType(req.GetUrn())
	if err := supported(typ); err != nil {
		return nil, err
	}
	props, err := plugin.UnmarshalProperties(req.GetNews(), opts)
	if err != nil {
		return nil, err
	}
	olds, err := plugin.UnmarshalProperties(req.GetOlds(), opts)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
		props["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
		return &pulumirpc.UpdateResponse{Properties: marshal(props)}, nil
	}
	script := "update"
	if str(props["update"]) == "" {
		script = "create"
	}
	if err := s.run(ctx, typ, req.GetUrn(), props, script, previousOutput(props, olds)); err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: marshal(props)}, nil
}

// Refresh keeps the recorded state: a command has nothing to read back.
func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	typ := urnType(req.GetUrn())
	if err := supported(typ); err != nil {
		return nil, err
	}
	props, err := plugin.UnmarshalProperties(req.GetProperties(), opts)
	if err != nil {
		return nil, err
	}
	if str(props["delete"]) == "" {
		return &emptypb.Empty{}, nil
	}
	// The state's stdout/stderr are overwritten by the run; they are not returned anyway.
	return &emptypb.Empty{}, s.run(ctx, typ, req.GetUrn(), props, "delete", previousOutput(props, props))
}

// previousOutput is PULUMI_COMMAND_STDOUT/STDERR from the last run (olds), unless
// addPreviousOutputInEnv is false.
func previousOutput(props, olds resource.PropertyMap) map[string]string {
	if v := unwrap(props["addPreviousOutputInEnv"]); v.IsBool() && !v.BoolValue() {
		return nil
	}
	return map[string]string{
		"PULUMI_COMMAND_STDOUT": str(olds["stdout"]),
		"PULUMI_COMMAND_STDERR": str(olds["stderr"]),
	}
}

// run executes props[script] and records stdout/stderr into props.
func (s *server) run(ctx context.Context, typ, urn string, props resource.PropertyMap, script string, extraEnv map[string]string) error {
	text := str(props[resource.PropertyKey(script)])
	if text == "" {
		return nil
	}
	env := map[string]string{}
	if v := unwrap(props["environment"]); v.IsObject() {
		for k, e := range v.ObjectValue() {
			env[string(k)] = str(e)
		}
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	logging := str(props["logging"])
	if logging == "" {
		logging = "stdoutAndStderr"
	}
	out := newOutputs(ctx, s.engine, urn, logging)
	var err error
	if typ == remoteCommand {
		err = runRemote(ctx, props, text, env, out)
	} else {
		err = runLocal(ctx, props, text, env, out)
	}
	out.flush()
	if err != nil {
		return out.failure(script, err)
	}
	props["stdout"] = resource.NewStringProperty(strings.TrimSuffix(out.stdout.String(), "\n"))
	props["stderr"] = resource.NewStringProperty(strings.TrimSuffix(out.stderr.String(), "\n"))
	return nil
}

func runLocal(ctx context.Context, props resource.PropertyMap, text string, env map[string]string, out *outputs) error {
	interp := []string{"/bin/sh", "-c"}
	if v := unwrap(props["interpreter"]); v.IsArray() && len(v.ArrayValue()) > 0 {
		interp = nil
		for _, e := range v.ArrayValue() {
			interp = append(interp, str(e))
		}
	}
	cmd := exec.CommandContext(ctx, interp[0], append(interp[1:], text)...)
	cmd.Dir = str(props["dir"])
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if stdin := str(props["stdin"]); stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Stdout, cmd.Stderr = out.stdoutWriter(), out.stderrWriter()
	return cmd.Run()
}

// ------------------------------------------------------------------ output

var validLogging = map[string]bool{"stdout": true, "stderr": true, "stdoutAndStderr": true, "none": true}

// outputs captures a run's stdout and stderr and streams the lines that `logging`
// allows to the engine's log.
type outputs struct {
	ctx            context.Context
	engine         pulumirpc.EngineClient
	urn            string
	logOut, logErr bool
	mu             sync.Mutex
	stdout, stderr bytes.Buffer
	partial        map[string]*bytes.Buffer
}

func newOutputs(ctx context.Context, engine pulumirpc.EngineClient, urn, logging string) *outputs {
	return &outputs{
		ctx: ctx, engine: engine, urn: urn,
		logOut:  logging == "stdout" || logging == "stdoutAndStderr",
		logErr:  logging == "stderr" || logging == "stdoutAndStderr",
		partial: map[string]*bytes.Buffer{"stdout": {}, "stderr": {}},
	}
}

type streamWriter struct {
	o    *outputs
	name string
	buf  *bytes.Buffer
	log  bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	w.buf.Write(p)
	if !w.log {
		return len(p), nil
	}
	part := w.o.partial[w.name]
	part.Write(p)
	for {
		line, err := part.ReadString('\n')
		if err != nil { // no newline yet: keep the fragment
			part.Reset()
			part.WriteString(line)
			break
		}
		w.o.log(strings.TrimSuffix(line, "\n"))
	}
	return len(p), nil
}

func (o *outputs) stdoutWriter() io.Writer {
	return streamWriter{o: o, name: "stdout", buf: &o.stdout, log: o.logOut}
}

func (o *outputs) stderrWriter() io.Writer {
	return streamWriter{o: o, name: "stderr", buf: &o.stderr, log: o.logErr}
}

// log sends one line to the engine (caller holds mu). Never called for a stream
// that logging does not allow.
func (o *outputs) log(line string) {
	if o.engine == nil {
		return
	}
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = o.engine.Log(c, &pulumirpc.LogRequest{Severity: pulumirpc.LogSeverity_INFO, Message: line, Urn: o.urn})
}

func (o *outputs) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, name := range []string{"stdout", "stderr"} {
		if part := o.partial[name]; part.Len() > 0 {
			o.log(part.String())
			part.Reset()
		}
	}
}

// failure is the error of a failed run: the cause and the tails of the streams that
// logging allows; with logging "none" no output at all (it may hold a secret).
func (o *outputs) failure(script string, err error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	msg := fmt.Sprintf("%s command failed: %v", script, err)
	if !o.logOut && !o.logErr {
		return errors.New(msg + " (output not shown: logging is \"none\")")
	}
	if o.logOut {
		msg += "\nstdout: " + tail(o.stdout.String(), 4096)
	}
	if o.logErr {
		msg += "\nstderr: " + tail(o.stderr.String(), 4096)
	}
	return errors.New(msg)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// ------------------------------------------------------------------ ssh

type connection struct {
	host, user, password, privateKey, privateKeyPassword, hostKey, agentSocket string
	port, dialErrorLimit                                                       int
	perDialTimeout                                                             time.Duration
}

func parseConnection(v resource.PropertyValue, what string) (*connection, error) {
	v = unwrap(v)
	if v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known) {
		return nil, fmt.Errorf("%s is unknown", what)
	}
	if v.IsOutput() {
		v = unwrap(v.OutputValue().Element)
	}
	if !v.IsObject() {
		return nil, fmt.Errorf("%s is missing", what)
	}
	m := v.ObjectValue()
	c := &connection{
		host: str(m["host"]), user: str(m["user"]), password: str(m["password"]),
		privateKey: str(m["privateKey"]), privateKeyPassword: str(m["privateKeyPassword"]),
		hostKey: str(m["hostKey"]), agentSocket: str(m["agentSocketPath"]),
		port: num(m["port"], 22), dialErrorLimit: num(m["dialErrorLimit"], 10),
		perDialTimeout: time.Duration(num(m["perDialTimeout"], 15)) * time.Second,
	}
	if c.user == "" {
		c.user = "root"
	}
	if c.host == "" {
		return nil, fmt.Errorf("%s.host is missing", what)
	}
	return c, nil
}

func (c *connection) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

func (c *connection) config() (*ssh.ClientConfig, func(), error) {
	cleanup := func() {}
	var auth []ssh.AuthMethod
	if c.privateKey != "" {
		var signer ssh.Signer
		var err error
		if c.privateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.privateKey), []byte(c.privateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.privateKey))
		}
		if err != nil {
			// The parser's error never quotes the key.
			return nil, cleanup, fmt.Errorf("cannot parse the private key for %s@%s: %w", c.user, c.addr(), err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if c.password != "" {
		pw := c.password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
			a := make([]string, len(qs))
			for i := range a {
				a[i] = pw
			}
			return a, nil
		}))
	}
	sock := c.agentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			cleanup = func() { _ = conn.Close() }
			auth = append(auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		}
	}
	hostKeyCallback := ssh.InsecureIgnoreHostKey() // upstream: no hostKey → not checked
	if c.hostKey != "" {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.hostKey))
		if err != nil {
			return nil, cleanup, fmt.Errorf("cannot parse hostKey for %s: %w", c.addr(), err)
		}
		hostKeyCallback = ssh.FixedHostKey(pk)
	}
	return &ssh.ClientConfig{User: c.user, Auth: auth, HostKeyCallback: hostKeyCallback, Timeout: c.perDialTimeout}, cleanup, nil
}

// retryDial calls dial until it succeeds or dialErrorLimit attempts failed (-1: no limit),
// waiting 1 s, 2 s, 4 s, ... up to 10 s in between.
func retryDial[T any](ctx context.Context, c *connection, dial func() (T, error)) (T, error) {
	var zero T
	delay := time.Second
	for attempt := 1; ; attempt++ {
		v, err := dial()
		if err == nil {
			return v, nil
		}
		if c.dialErrorLimit >= 0 && attempt >= max(c.dialErrorLimit, 1) {
			return zero, fmt.Errorf("could not connect to %s@%s after %d attempt(s): %w", c.user, c.addr(), attempt, err)
		}
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("connecting to %s: %w (last error: %v)", c.addr(), ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// dialSSH connects to target, through proxy when given. The returned close function
// closes everything it opened.
func dialSSH(ctx context.Context, target, proxy *connection) (*ssh.Client, func(), error) {
	cfg, cleanTarget, err := target.config()
	if err != nil {
		cleanTarget()
		return nil, nil, err
	}
	if proxy == nil {
		client, err := retryDial(ctx, target, func() (*ssh.Client, error) { return ssh.Dial("tcp", target.addr(), cfg) })
		if err != nil {
			cleanTarget()
			return nil, nil, err
		}
		return client, func() { _ = client.Close(); cleanTarget() }, nil
	}
	pcfg, cleanProxy, err := proxy.config()
	if err != nil {
		cleanTarget()
		cleanProxy()
		return nil, nil, err
	}
	bastion, err := retryDial(ctx, proxy, func() (*ssh.Client, error) { return ssh.Dial("tcp", proxy.addr(), pcfg) })
	if err != nil {
		cleanTarget()
		cleanProxy()
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	client, err := retryDial(ctx, target, func() (*ssh.Client, error) {
		conn, err := bastion.Dial("tcp", target.addr())
		if err != nil {
			return nil, err
		}
		if target.perDialTimeout > 0 {
			_ = conn.SetDeadline(time.Now().Add(target.perDialTimeout))
		}
		cc, chans, reqs, err := ssh.NewClientConn(conn, target.addr(), cfg)
		if err != nil {
			_ = conn.Close()
			return nil, err
		}
		_ = conn.SetDeadline(time.Time{})
		return ssh.NewClient(cc, chans, reqs), nil
	})
	if err != nil {
		_ = bastion.Close()
		cleanTarget()
		cleanProxy()
		return nil, nil, err
	}
	return client, func() { _ = client.Close(); _ = bastion.Close(); cleanTarget(); cleanProxy() }, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// exportPrefix is `export NAME='value' ...;` for the remote shell (see the file comment).
func exportPrefix(env map[string]string) (string, error) {
	if len(env) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		if !envName.MatchString(k) {
			return "", fmt.Errorf("environment variable name %q is not a shell identifier", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("export")
	for _, k := range keys {
		b.WriteString(" " + k + "='" + strings.ReplaceAll(env[k], "'", `'\''`) + "'")
	}
	b.WriteString("\n")
	return b.String(), nil
}

func runRemote(ctx context.Context, props resource.PropertyMap, text string, env map[string]string, out *outputs) error {
	target, err := parseConnection(props["connection"], "connection")
	if err != nil {
		return err
	}
	var proxy *connection
	if c := unwrap(props["connection"]); c.IsObject() {
		if p := unwrap(c.ObjectValue()["proxy"]); !p.IsNull() {
			if proxy, err = parseConnection(p, "connection.proxy"); err != nil {
				return err
			}
		}
	}
	prefix, err := exportPrefix(env)
	if err != nil {
		return err
	}
	client, closeAll, err := dialSSH(ctx, target, proxy)
	if err != nil {
		return err
	}
	defer closeAll()
	session, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("opening an SSH session on %s: %w", target.addr(), err)
	}
	defer session.Close()
	if stdin := str(props["stdin"]); stdin != "" {
		session.Stdin = strings.NewReader(stdin)
	}
	session.Stdout, session.Stderr = out.stdoutWriter(), out.stderrWriter()
	done := make(chan error, 1)
	go func() { done <- session.Run(prefix + text) }()
	select {
	case err := <-done:
		var exit *ssh.ExitError
		var missing *ssh.ExitMissingError
		switch {
		case errors.As(err, &exit):
			return fmt.Errorf("process exited with status %d on %s", exit.ExitStatus(), target.addr())
		case errors.As(err, &missing):
			return fmt.Errorf("the SSH connection to %s ended before the command reported an exit status", target.addr())
		case err != nil:
			return fmt.Errorf("running the command on %s: %w", target.addr(), err)
		}
		return nil
	case <-ctx.Done():
		_ = session.Signal(ssh.SIGTERM)
		closeAll()
		return fmt.Errorf("cancelled: %w", ctx.Err())
	}
}

// ------------------------------------------------------------------ values

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func str(v resource.PropertyValue) string {
	v = unwrap(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func num(v resource.PropertyValue, def int) int {
	v = unwrap(v)
	if v.IsNumber() {
		return int(v.NumberValue())
	}
	return def
}

func marshal(props resource.PropertyMap) *structpb.Struct {
	s, err := plugin.MarshalProperties(props, opts)
	if err != nil {
		panic(err)
	}
	return s
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
