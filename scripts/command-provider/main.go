// A minimal Pulumi resource provider for the "command" package
// (plugin pulumi-resource-command), written for this project because the Go
// module proxy reachable here does not serve upstream's
// github.com/pulumi/pulumi-command/provider.
//
// Scope: command:local:Command as @pulumi/command's SDK declares it — create,
// update and delete scripts run by an interpreter (default /bin/sh -c) in
// `dir`, with `environment` and `stdin`; outputs stdout and stderr (trailing
// newline trimmed, like upstream); a change of `triggers` replaces, any other
// input change runs `update` (or `create` when there is no update script).
// Delete runs `delete` with PULUMI_COMMAND_STDOUT/STDERR set from the last
// run. Not implemented: command:local:run (invoke), command:remote:*,
// assetPaths/archivePaths, logging modes. Used only by the local "real engine"
// tier; production runs use the upstream provider.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Set with -ldflags "-X main.version=..." to @pulumi/command's version.
var version = "0.0.0-dev"

const localCommand = "command:local:Command"

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

// Output-only properties: never compared as inputs.
var outputsOnly = map[resource.PropertyKey]bool{"stdout": true, "stderr": true, "assets": true, "archive": true}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func main() {
	for _, a := range os.Args[1:] {
		if a == "-version" || a == "--version" {
			fmt.Println(version)
			return
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, &server{})
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

func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if req.GetType() != localCommand {
		return nil, fmt.Errorf("unsupported resource type %s (this minimal provider has only %s)", req.GetType(), localCommand)
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
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
		if k == "triggers" {
			replaces = append(replaces, string(k))
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(diffs)
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
	if err := run(ctx, props, "create", nil); err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: marshal(props)}, nil
}

func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	props, err := plugin.UnmarshalProperties(req.GetNews(), opts)
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
	if err := run(ctx, props, script, nil); err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: marshal(props)}, nil
}

// Refresh keeps the recorded state: a command has nothing to read back.
func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	props, err := plugin.UnmarshalProperties(req.GetProperties(), opts)
	if err != nil {
		return nil, err
	}
	if str(props["delete"]) == "" {
		return &emptypb.Empty{}, nil
	}
	extra := []string{
		"PULUMI_COMMAND_STDOUT=" + str(props["stdout"]),
		"PULUMI_COMMAND_STDERR=" + str(props["stderr"]),
	}
	return &emptypb.Empty{}, run(ctx, props, "delete", extra)
}

// run executes props[script] and records stdout/stderr into props.
func run(ctx context.Context, props resource.PropertyMap, script string, extraEnv []string) error {
	text := str(props[resource.PropertyKey(script)])
	if text == "" {
		return nil
	}
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
	if v := unwrap(props["environment"]); v.IsObject() {
		for k, e := range v.ObjectValue() {
			cmd.Env = append(cmd.Env, string(k)+"="+str(e))
		}
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	if stdin := str(props["stdin"]); stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s command failed: %w\nstdout: %s\nstderr: %s", script, err, stdout.String(), stderr.String())
	}
	props["stdout"] = resource.NewStringProperty(strings.TrimSuffix(stdout.String(), "\n"))
	props["stderr"] = resource.NewStringProperty(strings.TrimSuffix(stderr.String(), "\n"))
	return nil
}

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
