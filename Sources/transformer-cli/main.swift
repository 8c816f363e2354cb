import CLI
import Foundation

exit(TransformerCLI.main(Array(CommandLine.arguments.dropFirst())))
