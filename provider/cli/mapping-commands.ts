import { Command, Option } from "commander";
import type { MappingKind, VolumeMapping } from "../model/volume-mapping";
import { commonOptions, connect, withCommon } from "./common";
import { render } from "./formats";
import { printTable } from "./output";
import { listed, withListFlags } from "./list-flags";

/**
 * What a volume's outside thing is on this machine (skiff's own commands; gcloud has none):
 *   skiff buckets map BUCKET --path DIR           a Cloud Storage bucket is this folder
 *   skiff nfs map HOST:/path --path DIR           an NFS export is this folder
 *   skiff cloudsql map P:R:I --to HOST:PORT|SOCKET [--type postgres|mysql]
 * and `unmap`, `list` for each. Unmapped buckets and exports are folders under the engine home;
 * an unmapped Cloud SQL instance cannot be used. Mappings belong to the engine, not a project.
 */

interface KindCommand {
  kind: MappingKind;
  command: string;
  what: string;
  argument: string;
}

const KINDS: KindCommand[] = [
  { kind: "bucket", command: "buckets", what: "Cloud Storage buckets: a local folder each", argument: "<bucket>" },
  { kind: "nfs", command: "nfs", what: "NFS exports: a local folder each", argument: "<location>" },
  { kind: "cloudsql", command: "cloudsql", what: "Cloud SQL instances: the database their socket leads to", argument: "<instance>" },
];

function mappedTo(m: VolumeMapping): string {
  return m.path ?? `${m.target} (${m.type})`;
}

function kindCommands(k: KindCommand): Command {
  const group = new Command(k.command).description(`map ${k.what}`);
  const map = withCommon(group.command("map"))
    .argument(k.argument, k.kind === "nfs" ? "HOST:/path" : k.kind === "cloudsql" ? "PROJECT:REGION:INSTANCE" : "bucket name")
    .description(
      k.kind === "cloudsql"
        ? "containers that mount the instance's socket (type=cloudsql) reach this database through it"
        : "containers that mount it (--add-volume) see this folder; it must exist",
    );
  if (k.kind === "cloudsql")
    map
      .requiredOption("--to <target>", "HOST:PORT (such as 127.0.0.1:5432) or the absolute path of the database's unix socket")
      .addOption(
        new Option("--type <type>", "postgres or mysql (told by port 5432/3306 or the socket's name otherwise)").choices([
          "postgres",
          "mysql",
        ]),
      );
  else map.requiredOption("--path <dir>", "the folder that stands for it");
  map.action(async (name: string, options) => {
    const { format } = commonOptions(options);
    const body = k.kind === "cloudsql" ? { target: String(options.to), type: options.type } : { path: String(options.path) };
    const m = await (await connect()).putMapping(k.kind, name, body);
    render(format, m, () => process.stdout.write(`Mapped ${k.kind} ${m.name} to ${mappedTo(m)}.\n`));
  });

  withCommon(group.command("unmap"))
    .argument(k.argument)
    .description(
      k.kind === "cloudsql" ? "forget the mapping (new connections are refused)" : "forget the mapping (its folder is left as it is)",
    )
    .action(async (name: string, options) => {
      commonOptions(options);
      await (await connect()).deleteMapping(k.kind, name);
      process.stdout.write(`Unmapped ${k.kind} ${name}.\n`);
    });

  withListFlags(withCommon(group.command("list")))
    .description(`list mapped ${k.command}`)
    .action(async (options) => {
      const { format } = commonOptions(options);
      const { items: list, objects } = listed(await (await connect()).listMappings(k.kind), (m) => m, options);
      render(format, objects, () => printTable([["NAME", "MAPPED TO", "SINCE"], ...list.map((m) => [m.name, mappedTo(m), m.createTime])]));
    });
  return group;
}

export function mappingCommands(): Command[] {
  return KINDS.map(kindCommands);
}
